"""OpenTelemetry tracing. Imported only when OTEL_EXPORTER_OTLP_ENDPOINT is set: with it unset,
no module of the SDK or its instrumentations is loaded."""
