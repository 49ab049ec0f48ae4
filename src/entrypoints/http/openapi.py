"""What the OpenAPI document says beyond the handlers' own signatures: who may call (the session
token as a bearer header or the `__session` cookie), the problem+json errors each route answers, and
the request bodies the controllers decode themselves (JSON, or an HTML form for checkout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Components, Operation, RequestBody, Schema, SecurityScheme
from litestar.typing import FieldDefinition

from entrypoints.http.errors import PROBLEM_JSON, TITLES
from entrypoints.http.schemas import ProblemOut

FORM = "application/x-www-form-urlencoded"

COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(
            type="http", scheme="bearer", bearer_format="JWT", description="A Clerk session token."
        ),
        "session_cookie": SecurityScheme(
            type="apiKey", name="__session", security_scheme_in="cookie", description="Clerk's session cookie."
        ),
    }
)
SIGNED_IN: list[dict[str, list[str]]] = [{"bearer": []}, {"session_cookie": []}]


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem+json answers a route may give (contract §4)."""
    return {
        status: ResponseSpec(
            data_container=ProblemOut, media_type=PROBLEM_JSON, description=TITLES[status], generate_examples=False
        )
        for status in statuses
    }


def decoded_body(kind: type[Any], *, form: bool = False, required: bool = True) -> dict[str, Any]:
    """Route-decorator arguments that document a body the handler decodes itself (`body.decode_body`).

    Litestar documents a request body from a `data` parameter, its handler's or a dependency's. The
    handler cannot take `data` (Litestar would decode JSON only, and HTML forms post to checkout
    too), so a dependency that is never called carries it; the operation then adds the form type."""

    async def document(data: Any) -> None:  # never called: no handler asks for `request_body`
        raise AssertionError("documentation only")

    document.__annotations__ = {"data": kind, "return": None}

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            if isinstance(self.request_body, RequestBody):
                self.request_body.required = required
                if form:
                    self.request_body.content[FORM] = self.request_body.content["application/json"]

    return {"dependencies": {"request_body": Provide(document)}, "operation_class": WithBody}


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """`additionalProperties: false` for the bodies that refuse unknown fields (msgspec's
    `forbid_unknown_fields`), which Litestar's own plugin leaves out: a typo is a documented 400."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(
            getattr(field_definition.type_, "__struct_config__", None)
            and field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema
