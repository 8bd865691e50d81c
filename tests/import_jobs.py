"""Register imports through the API as a client sees them: the upload answers 202 with a
job, the worker imports it (run here in-process, as the worker runs the task), and the
job's page says how it ended."""

from worker.tasks import import_register


def upload_and_import(client, url: str, data: dict, **extra):
    """POST the upload; if it was accepted (202), run its job as the worker does and return
    the job's detail (GET), else the refusal itself."""
    response = client.post(url, data, format="multipart", **extra)
    if response.status_code != 202:
        return response
    job = response.json()
    assert response["Location"] == job["url"]
    assert job["status"] == "queued"
    import_register.apply(args=(job["id"],), task_id=f"import-{job['id']}")
    return client.get(job["url"])
