FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend backend
COPY audits audits
COPY worker worker
COPY manage.py gunicorn.conf.py ./
RUN pip install --no-cache-dir . && useradd --system --home /app caseassure \
    && mkdir -p /data && chown caseassure /data
USER caseassure
EXPOSE 8000
CMD ["gunicorn", "backend.wsgi:application"]
