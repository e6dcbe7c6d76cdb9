"""Oracle for python-format.ts: reads JSON lines {format, mode, args|mapping}, prints JSON lines
{ok: text} or {error: "Type: message"} computed by CPython's own `%` operator."""
import json
import sys

for line in sys.stdin:
    case = json.loads(line)
    try:
        if case['mode'] == 'tuple':
            result = {'ok': case['format'] % tuple(case['args'])}
        else:
            result = {'ok': case['format'] % case['mapping']}
    except Exception as error:  # noqa: BLE001 - every exception is an answer
        result = {'error': f'{type(error).__name__}: {error}'}
    sys.stdout.write(json.dumps(result) + '\n')
