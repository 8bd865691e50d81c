from django.db import models


class WorkerHeartbeat(models.Model):
    """The latest ``ping`` each Celery worker consumed: one row per worker, updated in
    place. /health/ reports how long ago the newest came."""

    hostname = models.CharField(max_length=200, unique=True, help_text="the worker's node name")
    token = models.CharField(max_length=64, help_text="the last ping's token")
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.hostname} {self.received_at:%Y-%m-%d %H:%M}"


class DataMark(models.Model):
    """A token that a committed change to what reports are computed from replaces with a
    new one (``infra/data_mark.py``): while it stands, the dashboard keeps its figures
    without reading the inputs fingerprint again. One row; bookkeeping, not history."""

    name = models.CharField(max_length=40, primary_key=True)
    token = models.CharField(max_length=32, help_text="random; new at every move")
    moved_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.token[:8]} {self.moved_at:%Y-%m-%d %H:%M:%S}"
