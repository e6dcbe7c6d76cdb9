"""Oracle for Interpolate: renders each JSON-line case with Buildbot's own properties.py.

Needs Buildbot importable (Debian: apt-get install python3-buildbot; run with /usr/bin/python3).
Input lines: {format, kwargs?, args?, properties, sourcestamps, workerinfo}.
Output lines: {ok: text} | {config: message} | {render: "Type: message"}.
"""
import json
import sys

from buildbot import config
from buildbot.process.properties import Interpolate, Properties
from buildbot_fakes import FakeBuild


def run(case):
    try:
        if case.get('args') is not None:
            interpolate = Interpolate(case['format'], *case['args'])
        else:
            interpolate = Interpolate(case['format'], **case.get('kwargs', {}))
    except config.ConfigErrors as error:
        return {'config': error.errors[0]}
    except Exception as error:  # noqa: BLE001
        return {'config': f'{type(error).__name__}: {error}'}
    props = Properties()
    for name, value in case['properties'].items():
        props.setProperty(name, value, 'test')
    props.build = FakeBuild(case['sourcestamps'], case['workerinfo'])
    outcome = {}

    def ok(text):
        outcome['ok'] = text

    def failed(failure):
        error = failure.value
        outcome['render'] = f'{type(error).__name__}: {error}'

    props.render(interpolate).addCallbacks(ok, failed)
    return outcome


for line in sys.stdin:
    sys.stdout.write(json.dumps(run(json.loads(line))) + '\n')
