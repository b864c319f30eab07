# QAF production image: gunicorn serving qaf.wsgi, static files collected at build and served
# by WhiteNoise. The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QAF_ENV=production \
    MEDIA_ROOT=/data/media

# WeasyPrint's runtime libraries (PDF letters and reports) and fonts for them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml ./
# Only what runs in production: pyproject.toml's dependencies at requirements.lock's versions
# (the lock also pins the dev extras, test tools, locust and moto, which the image leaves out).
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/runtime.txt \
    && pip install -c requirements.lock -r /tmp/runtime.txt \
    && rm /tmp/runtime.txt

COPY . .
# Static files are collected into the image (var/staticfiles), with a key used only here.
RUN SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0000 \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && python -c "import weasyprint"

# Run as an unprivileged user; uploads live on the volume mounted at /data/media.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin qaf \
    && mkdir -p /data/media \
    && chown -R qaf:qaf /data
USER qaf

EXPOSE 8000
# WEB_CONCURRENCY (gunicorn workers) defaults to 3.
CMD ["sh", "-c", "exec gunicorn qaf.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile - --error-logfile -"]
