import os
import time

INIT_AT = time.time_ns()
STREAM = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")


def handler(event, context):
    if event.get("sleepMs"):
        time.sleep(event["sleepMs"] / 1000)
    return {"stream": STREAM, "initAt": INIT_AT}
