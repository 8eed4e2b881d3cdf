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
    if action == "unshare":
        # os.unshare exists from Python 3.12 on; libc's works everywhere.
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newuser = 0x10000000
        out["unshareErr"] = ctypes.get_errno() if libc.unshare(clone_newuser) != 0 else None
    if action == "echo":
        out["event"] = event
    return out
