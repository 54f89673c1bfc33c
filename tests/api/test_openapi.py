"""The published contract: /openapi.json types every JSON route and every refusal, so clients can
be generated from it."""
import json

SUCCESS = ("200", "201")


async def openapi(api) -> dict:
    response = await (await api()).get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def api_operations(spec: dict):
    for path, operations in spec["paths"].items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                yield f"{method.upper()} {path}", operation


def typed(content: dict) -> bool:
    """A JSON body refers to a model (directly, in a list or in a union); a file is binary."""
    if "application/json" in content:
        return "$ref" in json.dumps(content["application/json"].get("schema", {}))
    return bool(content) and all(media.get("schema", {}).get("format") == "binary" for media in content.values())


def model(spec: dict, schema: dict) -> dict:
    return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def test_typed_detects_untyped_bodies():
    assert not typed({"application/json": {"schema": {}}})
    assert not typed({"application/json": {"schema": {"type": "object", "additionalProperties": True}}})
    assert not typed({"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}})
    assert not typed({})
    assert typed({"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/X"}}}})
    assert typed({"application/pdf": {"schema": {"type": "string", "format": "binary"}}})


async def test_every_api_operation_has_a_typed_success_response(api):
    spec = await openapi(api)
    operations = dict(api_operations(spec))
    assert len(operations) > 20
    untyped = [name for name, operation in operations.items()
               if not any(typed(operation["responses"].get(status, {}).get("content", {})) for status in SUCCESS)]
    assert untyped == []


async def test_refusals_are_documented_as_the_error_body(api):
    spec = await openapi(api)
    error = spec["components"]["schemas"]["ErrorBody"]
    assert {"detail", "code"} <= set(error["required"])
    for name, operation in api_operations(spec):
        refusals = {status: r for status, r in operation["responses"].items() if status.startswith("4")}
        assert "422" in refusals, name
        for status, response in refusals.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, \
                (name, status)


async def test_task_detail_names_outcomes_and_data(api):
    spec = await openapi(api)
    for path, method in (("/api/tasks/{task_id}", "get"), ("/api/tasks/{task_id}/complete", "post")):
        schema = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        detail = model(spec, schema)
        assert {"outcomes", "data"} <= set(detail["required"]), path
        assert detail["properties"]["outcomes"]["items"] == {"type": "string"}
        assert detail["properties"]["data"]["additionalProperties"]["additionalProperties"] == {"type": "string"}
    completed = model(spec, spec["paths"]["/api/tasks/{task_id}/complete"]["post"]["responses"]["200"]
                      ["content"]["application/json"]["schema"])
    assert "activation" in completed["properties"] and "activation" not in completed["required"]


async def test_hire_body_is_the_service_input(api):
    spec = await openapi(api)
    body = spec["paths"]["/api/hires"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/HireInput"}
