# erfa, installed the way the README says: uv and the locked dependencies.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    ERFA_DATA_DIR=/var/lib/erfa

RUN pip install --no-cache-dir "uv>=0.5,<1" \
    && useradd --system --home-dir /var/lib/erfa --create-home erfa

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
RUN uv sync --locked --no-dev && chown -R erfa /app/.venv

USER erfa
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["uv", "run", "--no-dev", "--locked", "erfa", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
