import base64
import json


def handler(event, context):
    mode = (event.get("queryStringParameters") or {}).get("mode", "echo")
    if mode == "plain":
        return {"hello": "world"}
    if mode == "binary":
        return {
            "statusCode": 201,
            "headers": {"content-type": "application/octet-stream", "x-custom": "yes"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": base64.b64encode(bytes(range(256))).decode(),
            "isBase64Encoded": True,
        }
    if mode == "fail":
        raise RuntimeError("boom")
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
