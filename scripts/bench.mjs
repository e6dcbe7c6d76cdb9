#!/usr/bin/env node
console.log('bench: no figures yet');
