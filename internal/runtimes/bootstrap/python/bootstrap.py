"""Hearth's bootstrap for the python3.x managed runtimes.

It speaks the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API the
way AWS's own Python runtime client does: the handler named by $_HANDLER is
imported once (the init phase), then every event is fetched from
/invocation/next, passed to the handler with a context object, and the result
or the error is posted back.

Cold start is the point: at startup it imports only C modules (_socket,
_json) that cost next to nothing; traceback, logging hooks and friends are
loaded only when something needs them.
"""

import os
import sys
import time

import _json
import _socket

_API_PREFIX = "/2018-06-01/runtime"
_EXEC_ENV = os.environ.get("AWS_EXECUTION_ENV", "")


# --- HTTP/1.1 client: one persistent connection to the Runtime API -------------------


class _RuntimeAPI:
    """A minimal HTTP/1.1 client; http.client would cost ~20 ms of imports."""

    def __init__(self, hostport):
        self.hostport = hostport
        host, _, port = hostport.rpartition(":")
        self.family = _socket.AF_INET
        if host.startswith("["):
            host, self.family = host[1:-1], _socket.AF_INET6
        self.addr = (host or "127.0.0.1", int(port))
        self.sock = None
        self.buf = bytearray()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method, path, body=b"", headers=""):
        head = (
            "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hearth-python\r\n"
            "Content-Length: %d\r\n%s\r\n" % (method, path, self.hostport, len(body), headers)
        ).encode("latin-1")
        reused = self.sock is not None
        try:
            return self._roundtrip(head + body)
        except OSError:
            self.close()
            if not reused:
                raise
        # The server may have closed an idle keep-alive connection: retry once.
        return self._roundtrip(head + body)

    def _roundtrip(self, data):
        if self.sock is None:
            s = _socket.socket(self.family, _socket.SOCK_STREAM)
            s.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            s.connect(self.addr)
            self.sock, self.buf = s, bytearray()
        self.sock.sendall(data)
        return self._response()

    def _more(self):
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionResetError("runtime API closed the connection")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            self._more()

    def _response(self):
        status = int(self._line().split(None, 2)[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._more()
            body = bytes(self.buf[:n])
            del self.buf[:n]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        else:
            body = self._until_eof()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def _chunked(self):
        out = bytearray()
        while True:
            size = int(self._line().split(b";", 1)[0], 16)
            if size == 0:
                while self._line():  # trailers end with an empty line
                    pass
                return bytes(out)
            while len(self.buf) < size + 2:
                self._more()
            out += self.buf[:size]
            del self.buf[: size + 2]

    def _until_eof(self):
        while True:
            data = self.sock.recv(262144)
            if not data:
                break
            self.buf += data
        body = bytes(self.buf)
        self.close()
        return body

    def post(self, path, body, error_type=None, content_type="application/json"):
        headers = "Content-Type: %s\r\n" % content_type
        if error_type:
            headers += "Lambda-Runtime-Function-Error-Type: %s\r\n" % error_type
        status, _, resp = self.request("POST", _API_PREFIX + path, body, headers)
        if status >= 300:
            sys.stderr.write(
                "runtime API %s answered %d: %s\n" % (path, status, resp.decode("utf-8", "replace"))
            )
        return status


# --- JSON through the C accelerator (importing json costs ~5 ms with re) -------------


class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo = {}


_scan = _json.make_scanner(_ScanContext())
_WS = " \t\n\r"


def _loads(data):
    s = data.decode("utf-8")
    start = len(s) - len(s.lstrip(_WS))
    try:
        obj, end = _scan(s, start)
    except StopIteration as e:
        raise ValueError("Expecting value: line 1 column %d (char %d)" % (e.value + 1, e.value)) from None
    if len(s[end:].strip(_WS)) != 0:
        raise ValueError("Extra data: char %d" % end)
    return obj


def _json_default(o):
    cls = type(o)
    if cls.__name__ == "Decimal" and cls.__module__ in ("decimal", "_decimal", "_pydecimal"):
        if o.is_nan():
            return float("nan")
        return int(o) if o.as_tuple().exponent >= 0 else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % cls.__name__)


_markers = {}
_encode_string = _json.encode_basestring_ascii
if _EXEC_ENV == "AWS_Lambda_python3.12":
    _encode_string = _json.encode_basestring  # python3.12 on Lambda keeps non-ASCII as is
_encoder = _json.make_encoder(_markers, _json_default, _encode_string, None, ": ", ", ", False, False, True)


def _dumps(obj):
    _markers.clear()
    return "".join(_encoder(obj, 0))


# --- context -------------------------------------------------------------------------


class _Obj:
    def __init__(self, fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.__dict__)


class CognitoIdentity(_Obj):
    pass


class Client(_Obj):
    pass


class ClientContext(_Obj):
    pass


# The attributes of client_context.client, as Lambda's Python runtime has them.
_CLIENT_FIELDS = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class LambdaContext:
    """The context object handed to the handler, with Lambda's field names."""

    def __init__(self, request_id, deadline_ms, arn, client_context, identity, tenant_id):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.tenant_id = tenant_id
        self.client_context = None
        if client_context is not None:
            cc = dict.fromkeys(("client", "custom", "env"))
            cc.update(client_context)
            self.client_context = ClientContext(cc)
            if isinstance(cc["client"], dict):
                client = dict.fromkeys(_CLIENT_FIELDS)  # Lambda's attributes, None unless sent
                client.update(cc["client"])
                self.client_context.client = Client(client)
        self.identity = CognitoIdentity({"cognito_identity_id": None, "cognito_identity_pool_id": None})
        if identity is not None:
            self.identity.cognito_identity_id = identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def log(self, msg):
        """Writes msg to the function's log as it is, as Lambda's context does."""
        sys.stdout.write(str(msg))
        sys.stdout.flush()

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s,function_version=%s])" % (
            self.aws_request_id,
            self.function_name,
            self.function_version,
        )


# --- errors --------------------------------------------------------------------------


class _Fault(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


def _error_result(exc, request_id):
    """Lambda's error document for an exception raised by user code."""
    if isinstance(exc, _Fault):
        return {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id,
                "stackTrace": exc.trace}
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    for i, frame in enumerate(frames):  # drop the bootstrap's own frames
        if not frame.filename.endswith("/bootstrap.py"):
            frames = frames[i:]
            break
    else:
        frames = []
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(frames)}


def _log_error(result):
    """Prints the error the way Lambda's runtime does: one \\r-joined record."""
    desc = "[ERROR]"
    if result["errorType"]:
        desc += " " + result["errorType"] + (":" if result["errorMessage"] else "")
    if result["errorMessage"]:
        desc += " " + result["errorMessage"]
    lines = [desc, "Traceback (most recent call last):"]
    for element in result["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


# --- logging: Lambda's root handler, installed when the logging module is imported ----

_request_id = ""


def _setup_logging(logging):
    class LambdaFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id
            record.tenant_id = None
            return True

    class LambdaHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record))
            except Exception:
                self.handleError(record)

    class JSONFormatter(logging.Formatter):
        # LoggingConfig LogFormat JSON: one object per record, as Lambda's
        # Python runtime writes it.
        def format(self, record):
            out = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                   "level": record.levelname, "message": record.getMessage(),
                   "logger": record.name, "requestId": record.aws_request_id}
            if record.exc_info and record.exc_info[0] is not None:
                import traceback
                out["errorType"] = record.exc_info[0].__name__
                out["errorMessage"] = str(record.exc_info[1])
                out["stackTrace"] = traceback.format_tb(record.exc_info[2])
            return json.dumps(out, default=str) + "\n"

    logging.Formatter.converter = time.gmtime
    handler = LambdaHandler()
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        import json
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(LambdaFilter())
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level)
    root = logging.getLogger()
    if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        root.setLevel(level)
    root.addHandler(handler)


class _LoggingHook:
    """A meta path finder that configures logging right after its first import.

    Importing logging eagerly costs ~8 ms of every cold start; most handlers never use it.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        spec = sys.modules["_frozen_importlib_external"].PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_setup(module):
            exec_module(module)
            try:
                _setup_logging(module)
            except Exception as e:
                sys.stderr.write("hearth: cannot set up logging: %r\n" % (e,))

        spec.loader.exec_module = exec_and_setup
        return spec


def _install_logging_hook():
    if "logging" in sys.modules:
        _setup_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingHook())


# --- init ----------------------------------------------------------------------------


def _set_paths(task_root):
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # the runtime's own directory is not the user's
    version = _EXEC_ENV.rpartition("python")[2] or "%d.%d" % sys.version_info[:2]
    extra = [task_root, "/opt/python/lib/python%s/site-packages" % version, "/opt/python"]
    sys.path[0:0] = [p for p in extra if p and p not in sys.path]


def _load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _Fault("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % modname)
    try:
        __import__(modname.replace("/", "."))
        module = sys.modules[modname.replace("/", ".")]
    except ImportError as e:
        raise _Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e), trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))


# --- invoke loop ---------------------------------------------------------------------


def _handle(api, handler, headers, body):
    global _request_id
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    path = "/invocation/%s/" % request_id
    try:
        try:
            cc = headers.get("lambda-runtime-client-context")
            cc = _loads(cc.encode()) if cc else None
            ident = headers.get("lambda-runtime-cognito-identity")
            ident = _loads(ident.encode()) if ident else None
        except ValueError as e:
            raise _Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse Client Context JSON: %s" % e)
        ctx = LambdaContext(request_id, int(headers.get("lambda-runtime-deadline-ms") or 0),
                            headers.get("lambda-runtime-invoked-function-arn"), cc, ident,
                            headers.get("lambda-runtime-aws-tenant-id"))
        content_type = headers.get("content-type", "application/json")
        if content_type == "application/json" or not content_type:
            try:
                event = _loads(body)
            except ValueError as e:
                raise _Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        else:
            event = body
        result = handler(event, ctx)
        if isinstance(result, bytes):
            api.post(path + "response", result, content_type="application/unknown")
            return
        try:
            out = _dumps(result).encode("utf-8")
        except Exception as e:
            raise _Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)
    except Exception as e:
        err = _error_result(e, request_id)
        _log_error(err)
        api.post(path + "error", _dumps(err).encode("utf-8"), err["errorType"])
        return
    api.post(path + "response", out)


# --- pre-started: waiting for the function -------------------------------------------


def _await_function():
    """Waits for the function this interpreter will serve.

    Hearth starts interpreters ahead of cold starts, in a prepared sandbox,
    with this bootstrap loaded and no user code. Such a bootstrap connects to
    the Runtime API address and waits: at the cold start Hearth mounts the
    function's code at /var/task (and its layers at /opt), then sends its
    complete environment and working directory and closes the connection.
    From there on, everything runs as in an ordinary start.
    """
    # The compiler's first use in a process costs 1-3 ms (its pages come
    # in): part of the interpreter's boot, paid here, not by the handler's
    # import. It leaves no trace.
    compile("pass", "<hearth>", "exec")
    host, _, port = os.environ["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.connect((host, int(port)))
    data = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    if not data:
        sys.exit(0)  # released unused
    doc = _loads(bytes(data))
    env = os.environ
    want = dict(kv.partition("=")[::2] for kv in doc["env"])
    for k in [k for k in env if k not in want]:
        del env[k]
    for k, v in want.items():
        if env.get(k) != v:
            env[k] = v
    os.chdir(doc["dir"])
    time.tzset()
    global _EXEC_ENV
    _EXEC_ENV = env.get("AWS_EXECUTION_ENV", "")
    for finder in list(sys.path_importer_cache.values()):
        if hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


def main():
    if os.environ.get("_HEARTH_PRESTART") == "1":
        _await_function()
    api = _RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    _set_paths(os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    _install_logging_hook()
    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:
        err = _error_result(e, "")
        _log_error(err)
        api.post("/init/error", _dumps(err).encode("utf-8"), err["errorType"])
        sys.exit(1)
    next_path = _API_PREFIX + "/invocation/next"
    while True:
        status, headers, body = api.request("GET", next_path)
        if status != 200:
            sys.stderr.write("runtime API /next answered %d: %s\n" % (status, body[:512]))
            sys.exit(1)
        _handle(api, handler, headers, body)


if __name__ == "__main__":
    main()
