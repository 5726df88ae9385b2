"""OpenAPI descriptions of the two event streams, one server-sent event at a time.

OpenAPI 3.1 describes a text/event-stream by the schema of each event: an object with
its `event` name and its `data` string, here JSON whose shape `contentSchema` gives.
"""

from __future__ import annotations

from typing import Any

JsonSchema = dict[str, Any]


def _json_data(payload: JsonSchema) -> JsonSchema:
    return {"type": "string", "contentMediaType": "application/json", "contentSchema": payload}


def _object(**properties: JsonSchema) -> JsonSchema:
    return {"type": "object", "required": list(properties), "properties": properties}


def _ref(model: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{model}"}


def _event(name: str, payload: JsonSchema) -> JsonSchema:
    return _object(event={"const": name}, data=_json_data(payload))


ASK_EVENT = {
    "oneOf": [
        _event(
            "reading",
            _object(
                text={"type": "string"}, sources={"type": "array", "items": {"type": "string"}}
            ),
        ),
        _event("token", _object(text={"type": "string"})),
        _event("citations", _object(citations={"type": "array", "items": _ref("Citation")})),
        _event("done", _object(answer=_ref("Answer"))),
        _event("error", _object(message={"type": "string"})),
    ]
}

_CHUNK_CHOICE = _object(
    index={"type": "integer"},
    delta={
        "type": "object",
        "properties": {"role": {"const": "assistant"}, "content": {"type": "string"}},
    },
    finish_reason={"enum": ["stop", None]},
)
_CHUNK = {
    "type": "object",
    "description": "The last chunk with a choice adds `citations` and `refused`; with "
    "stream_options.include_usage, a final chunk has no choices and carries `usage`.",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "chat.completion.chunk"},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "choices": {"type": "array", "items": _CHUNK_CHOICE},
        "citations": {"type": "array", "items": _ref("Citation")},
        "refused": {"type": "boolean"},
        "usage": _ref("Usage"),
    },
}
# OpenAI's chunks are unnamed events ("message"); the stream ends with `data: [DONE]`,
# after an error object in place of a chunk when the answer failed midway.
CHAT_CHUNK_EVENT = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "event": {"const": "message"},
        "data": {
            "anyOf": [
                {"const": "[DONE]"},
                _json_data(_CHUNK),
                _json_data(_ref("ErrorResponse")),
            ]
        },
    },
}
