"""Buildbot's side of the render benchmark (packages/core/bench/render-throughput.ts).

Needs Buildbot importable (Debian: apt-get install python3-buildbot; run with /usr/bin/python3).

Protocol, one JSON document per line:
  stdin, first line:  {"cases": [{format, kwargs?, args?, properties, sourcestamps, workerinfo}, ...]}
  stdout:             {"ready": true, "realistic": [the realistic corpus rendered once, as JSON]}
  stdin, then:        {"corpus": "generated" | "realistic", "mode": "render" | "construct", "seconds": s}
  stdout:             {"renders": n, "cpu": seconds of CPU time the process used}

Like with like: Buildbot's `Properties.render` returns a Deferred, which has already fired when
nothing in the renderable is asynchronous (always the case here); the result is read with
`addCallback`, the cheapest way Buildbot code gets at it (no inlineCallbacks generator per render).
"render" renders renderables built beforehand; "construct" builds each one (Interpolate(...) from
its format, or the realistic tree) and renders it.
"""
import json
import os
import sys
import time

from buildbot.process.properties import Interpolate, Properties, Property, Transform, renderer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fuzz'))
from buildbot_fakes import FakeBuild  # noqa: E402


def properties_for(values, stamps, info):
    props = Properties()
    for name, value in values.items():
        props.setProperty(name, value, 'bench')
    props.build = FakeBuild(stamps, info)
    return props


def interpolate(case):
    if case.get('args') is not None:
        return Interpolate(case['format'], *case['args'])
    return Interpolate(case['format'], **case.get('kwargs', {}))


def realistic_properties():
    return properties_for(
        {
            'buildername': 'linux-x86_64',
            'buildnumber': 1234,
            'builder': 'docker_worker',
            'project': 'proj1',
            'image': 'busybox:latest',
            'distro': 'bookworm',
            'one': 'proj1',
            'two': 'proj2',
            'tags': ['nightly', 'x86'],
            'debug': False,
        },
        [{'codebase': 'app', 'repository': 'https://git.example.com/app.git', 'revision': 'a1b2c3d', 'branch': 'main'}],
        {'os_id': 'debian', 'host': 'ci-7'},
    )


def realistic_corpus():
    """The corpus of render-throughput.ts, item for item."""
    return [
        Interpolate('buildbot-%(prop:buildername)s-%(prop:buildnumber)s'),
        Interpolate('tcp://value-%(prop:builder)s'),
        Interpolate('/data:/worker/%(kw:builder)s/build', builder=Property('builder')),
        Interpolate("echo '%(prop:project:?|%(prop:one)s|%(prop:two)s)s'"),
        Interpolate('%(src:app:repository)s@%(src:app:revision)s (%(src:app:branch:-detached)s)'),
        Interpolate('FROM debian:%(kw:distro)s\nRUN apt-get update', distro=Property('distro')),
        Interpolate('%(prop:image:~busybox:latest)s'),
        Interpolate('%s-%05d-%s', Property('buildername'), Property('buildnumber'), Property('tags')),
        Interpolate('worker on %(worker:os_id)s/%(worker:host)s, debug=%(prop:debug:#?|on|off)s'),
        Property('image'),
        Property('missing', 'default-value'),
        Property('buildnumber') + 1,
        Transform(lambda name, number: f'{name}#{number}', Property('buildername'), Property('buildnumber')),
        renderer(lambda props: f"r-{props.getProperty('builder')}"),
        {
            'image': Property('image'),
            'volumes': ['/tmp:/tmp:ro', Interpolate('/cache/%(prop:builder)s:/cache')],
            'hostconfig': {'network_mode': 'bridge', 'dns': ['1.1.1.1'], 'label': Interpolate('%(prop:project)s')},
            'environment': {'BUILD': Interpolate('%(prop:buildnumber)s')},
        },
    ]


def main():
    cases = json.loads(sys.stdin.readline())['cases']
    generated_props = [properties_for(c['properties'], c['sourcestamps'], c['workerinfo']) for c in cases]
    generated_built = [interpolate(c) for c in cases]
    realistic_props = realistic_properties()
    realistic_built = realistic_corpus()

    outcome = []
    for item in realistic_built:
        realistic_props.render(item).addCallback(outcome.append)
    sys.stdout.write(json.dumps({'ready': True, 'realistic': outcome}) + '\n')
    sys.stdout.flush()

    def render_generated(sink):
        for built, props in zip(generated_built, generated_props):
            props.render(built).addCallback(sink)
        return len(generated_built)

    def construct_generated(sink):
        for case, props in zip(cases, generated_props):
            props.render(interpolate(case)).addCallback(sink)
        return len(cases)

    def render_realistic(sink):
        for built in realistic_built:
            realistic_props.render(built).addCallback(sink)
        return len(realistic_built)

    def construct_realistic(sink):
        built = realistic_corpus()
        for item in built:
            realistic_props.render(item).addCallback(sink)
        return len(built)

    runs = {
        ('generated', 'render'): render_generated,
        ('generated', 'construct'): construct_generated,
        ('realistic', 'render'): render_realistic,
        ('realistic', 'construct'): construct_realistic,
    }
    for line in sys.stdin:
        request = json.loads(line)
        run = runs[(request['corpus'], request['mode'])]
        renders = 0
        sink = []
        started = time.perf_counter()
        cpu_started = time.process_time()
        while True:
            renders += run(sink.append)
            sink.clear()
            if time.perf_counter() - started >= request['seconds']:
                break
        cpu = time.process_time() - cpu_started
        sys.stdout.write(json.dumps({'renders': renders, 'cpu': cpu}) + '\n')
        sys.stdout.flush()


main()
