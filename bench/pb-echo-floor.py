"""The raw floor of `echo` on a buildbot-worker: a plain Twisted PB master (no Buildbot, no
latentci) and a real buildbot-worker 3.7. Prints, as JSON, milliseconds from calling the worker's
remote startCommand (a shell step running `echo`) to its first remote_update and to remote_complete,
the round trip of a remote print, and the echo process's own elapsedTime (spawn → exit, as the
worker reports it).

    python3 bench/pb-echo-floor.py [rounds]      (the Python that runs twistd3: it has Twisted)
"""
import json, re, shutil, subprocess, sys, tempfile, time
from twisted.internet import reactor, defer, task
from twisted.spread import pb
from twisted.cred import portal, checkers
from zope.interface import implementer

NAME, PASSWORD, ROUNDS = 'floor', 'pw', int(sys.argv[1]) if len(sys.argv) > 1 else 20
got_mind = defer.Deferred()

class Avatar(pb.Avatar):
    def perspective_keepalive(self): pass
    def perspective_shutdown(self): pass

@implementer(portal.IRealm)
class Realm:
    def requestAvatar(self, avatarId, mind, *interfaces):
        if not got_mind.called: got_mind.callback(mind)
        return pb.IPerspective, Avatar(), lambda: None

class Cmd(pb.Referenceable):
    def __init__(self, t0):
        self.t0 = t0
        self.first = None
        self.done = defer.Deferred()
        self.text = ''
    def remote_update(self, updates):
        if self.first is None: self.first = time.perf_counter() - self.t0
        self.text += repr(updates)
        return 0
    def elapsed(self):
        found = re.search(r'elapsedTime=([0-9.]+)', self.text)
        return float(found.group(1)) * 1000 if found else float('nan')
    def remote_complete(self, failure=None):
        self.done.callback(time.perf_counter() - self.t0)
        return None

ARGS = dict(workdir='build', env={}, want_stdout=True, want_stderr=True, logfiles={}, timeout=1200,
            maxTime=None, sigtermTime=None, usePTY=False, logEnviron=True, initial_stdin=None,
            interruptSignal='KILL', command=['echo', 'latentci'])

@defer.inlineCallbacks
def main(port):
    mind = yield got_mind
    builders = yield mind.callRemote('setBuilderList', [('b', 'b')])
    builder = builders['b']
    firsts, completes, pings, processes = [], [], [], []  # the first round warms up and is not counted
    for i in range(ROUNDS + 1):
        t0 = time.perf_counter(); yield mind.callRemote('print', message='ping'); ping = time.perf_counter() - t0
        t0 = time.perf_counter()
        cmd = Cmd(t0)
        yield builder.callRemote('startCommand', cmd, str(i), 'shell', ARGS)
        total = yield cmd.done
        if i > 0:
            firsts.append(cmd.first * 1000); completes.append(total * 1000); pings.append(ping * 1000); processes.append(cmd.elapsed())
        yield task.deferLater(reactor, 0.05, lambda: None)
    print(json.dumps({'firstUpdate': firsts, 'complete': completes, 'printRoundTrip': pings, 'processElapsed': processes}))
    reactor.stop()

checker = checkers.InMemoryUsernamePasswordDatabaseDontUse(); checker.addUser(NAME.encode(), PASSWORD.encode())
factory = pb.PBServerFactory(portal.Portal(Realm(), [checker]))
listening = reactor.listenTCP(0, factory, interface='127.0.0.1')
port = listening.getHost().port
basedir = tempfile.mkdtemp(prefix='latentci-floor-')
env = dict(PATH='/usr/local/bin:/usr/bin:/bin', HOME=basedir, LANG='C.UTF-8')
subprocess.check_call(['buildbot-worker', 'create-worker', '-r', '-q', '--keepalive=600', '--force', basedir, f'127.0.0.1:{port}', NAME, PASSWORD], env=env, cwd=basedir)
worker = subprocess.Popen(['twistd3', '--nodaemon', '--no_save', '--pidfile=', '-y', 'buildbot.tac'], cwd=basedir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    reactor.callWhenRunning(main, port)
    reactor.run()
finally:
    worker.terminate(); worker.wait(15); shutil.rmtree(basedir, ignore_errors=True)
