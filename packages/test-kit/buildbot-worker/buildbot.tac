# The buildbot/buildbot-worker image's buildbot.tac: the worker's settings come from the
# environment, and the password is removed from it before any build step can read it.
import fnmatch
import os
import sys

from twisted.application import service
from twisted.python.log import FileLogObserver, ILogObserver

from buildbot_worker.bot import Worker

basedir = os.environ.get("BUILDBOT_BASEDIR", os.path.abspath(os.path.dirname(__file__)))
application = service.Application("buildbot-worker")
application.setComponent(ILogObserver, FileLogObserver(sys.stdout).emit)

buildmaster_host = os.environ.get("BUILDMASTER", "localhost")
port = int(os.environ.get("BUILDMASTER_PORT", 9989))
protocol = os.environ.get("BUILDMASTER_PROTOCOL", "pb")
workername = os.environ.get("WORKERNAME", "docker")
passwd = os.environ.get("WORKERPASS")

for name in list(os.environ):
    for pattern in os.environ.get("WORKER_ENVIRONMENT_BLACKLIST", "WORKERPASS").split():
        if fnmatch.fnmatch(name, pattern):
            del os.environ[name]
            break

worker = Worker(
    buildmaster_host,
    port,
    workername,
    passwd,
    basedir,
    keepalive=600,
    umask=None,
    maxdelay=300,
    protocol=protocol,
    allow_shutdown=None,
    maxRetries=10,
    delete_leftover_dirs=False,
)
worker.setServiceParent(application)
