# The engine's image: the worker (`python worker.py`) or the API (`spplus serve`), same code and pins.
FROM python:3.11.7-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md worker.py ./
COPY spplus ./spplus
COPY workflows ./workflows
COPY activities ./activities
COPY rules ./rules
COPY schema ./schema
# Bytecode compiled once here: the workflow sandbox re-imports the workflow modules for every cycle it
# runs, and without .pyc files it would compile them from source each time.
RUN pip install --no-cache-dir -c constraints.txt . && python -m compileall -q /app && useradd --create-home engine && mkdir -p /data && chown engine /data
USER engine
ENV SPPLUS_DATA=/data SPPLUS_RULES=/app/rules PYTHONUNBUFFERED=1
