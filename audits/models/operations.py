from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by the ``ping`` task: proof that a Celery worker consumed a message."""

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.hostname} {self.received_at:%Y-%m-%d %H:%M}"
