import os
import time

INIT_AT = time.time_ns()
COUNT = 0


class CustomError(Exception):
    pass


def handler(event, context):
    global COUNT
    COUNT += 1
    action = event.get("action")
    out = {
        "stream": os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
        "pid": os.getpid(),
        "requestId": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "initAt": INIT_AT,
        "count": COUNT,
        "memory": context.memory_limit_in_mb,
        "runtimeApi": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
    }
    if action == "error":
        raise CustomError("python went wrong")
    if action == "log":
        print("hello from python")
    if action == "sleep":
        time.sleep(event.get("sleepMs", 0) / 1000)
    if action == "exit":
        os._exit(4)
    if action == "echo":
        out["event"] = event
    return out
