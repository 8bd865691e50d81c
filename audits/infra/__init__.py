"""Plumbing shared by pages, API and worker: middleware, the access log, token
authentication, notifications, file writing, health checks, signals and the admin site."""
