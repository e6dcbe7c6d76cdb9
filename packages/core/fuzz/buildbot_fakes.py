"""The build a Buildbot `Properties` renders against, reduced to what Interpolate reads.

Shared by the Interpolate oracle (fuzz/buildbot-interpolate-oracle.py) and the render benchmark
(bench/buildbot-render.py): `%(src:…)s` reads the source stamps, `%(worker:…)s` the worker info.
"""


class FakeStamp:
    def __init__(self, d):
        self.d = d

    def asDict(self):
        return self.d


class FakeBuild:
    def __init__(self, stamps, info):
        self.stamps = stamps
        self.info = info

    def getAllSourceStamps(self):
        return [FakeStamp(s) for s in self.stamps]

    def getWorkerInfo(self):
        return self.info
