// Hearth's bootstrap for the nodejs*.x managed runtimes.
//
// It speaks the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API the
// way AWS's own Node.js runtime client does: the handler named by $_HANDLER is
// loaded once (the init phase: CommonJS by require, ES modules by import()),
// then every event is fetched from /invocation/next and handed to the handler
// with a context object and a callback. Promise results are posted as soon as
// they settle; callback results wait for the event loop to drain unless
// context.callbackWaitsForEmptyEventLoop is false, as on Lambda.
'use strict';

const fs = require('fs');
const path = require('path');
const util = require('util');

const API_PREFIX = '/2018-06-01/runtime';
let apiHost, apiPort;
function readAPIAddress() {
  const hp = process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
  const i = hp.lastIndexOf(':');
  apiHost = hp.slice(0, i).replace(/^\[|\]$/g, '');
  apiPort = parseInt(hp.slice(i + 1), 10);
}
readAPIAddress();

// ---- Runtime API client -------------------------------------------------------------

// RuntimeAPI is a minimal HTTP/1.1 client on one persistent connection:
// require('http') costs a few milliseconds of every cold start, and so does
// the net module (see openConn). Requests go one at a time, in order. The
// connection is unref'd while no request is in flight, so that it never
// keeps the event loop (and so beforeExit) from firing.
class RuntimeAPI {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.sock = null;
    this.queue = [];
    this.cur = null;
  }

  request(method, urlPath, body, headers, done) {
    let head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nUser-Agent: hearth-nodejs\r\n`;
    const data = body === undefined ? null : Buffer.from(body, 'utf8');
    head += `Content-Length: ${data ? data.length : 0}\r\n`;
    for (const k of Object.keys(headers || {})) head += `${k}: ${headers[k]}\r\n`;
    const bytes = data ? Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), data]) : Buffer.from(head + '\r\n', 'latin1');
    this.queue.push({ bytes, done, retried: false });
    if (!this.cur) this.start();
  }

  start() {
    const r = this.queue.shift();
    if (!r) {
      if (this.sock) this.sock.unref();
      return;
    }
    this.cur = r;
    r.reader = new ResponseReader();
    r.reused = this.sock !== null;
    if (!this.sock) this.connect();
    this.sock.ref();
    this.sock.write(r.bytes);
  }

  connect() {
    const lost = (err) => {
      if (sock !== this.sock) return;
      this.sock = null;
      sock.destroy();
      const r = this.cur;
      if (!r) return;
      if (r.reused && r.reader.len === 0 && !r.retried) {
        // The server closed an idle keep-alive connection: retry once.
        r.retried = true;
        this.cur = null;
        this.queue.unshift(r);
        this.start();
        return;
      }
      this.cur = null;
      r.done(err || new Error('runtime API closed the connection'));
    };
    const sock = openConn(this.host, this.port, (chunk) => {
      const r = this.cur;
      if (!r || sock !== this.sock) return;
      const res = r.reader.add(chunk);
      if (res) this.finish(res);
    }, lost);
    this.sock = sock;
  }

  finish(res) {
    const r = this.cur;
    this.cur = null;
    if ((res.headers.connection || '').toLowerCase() === 'close' && this.sock) {
      const s = this.sock;
      this.sock = null;
      s.destroy();
    }
    r.done(null, res, res.body);
    if (!this.cur) this.start();
  }
}

// ---- transport: one TCP connection ----------------------------------------------------

// openConn connects to host:port and returns { write, destroy, ref, unref };
// onData gets each chunk read, onLost once the connection failed or the
// peer closed it (null then). require('net') costs 3-10 ms of CPU at every
// cold start (stream, its timers and diagnostics machinery), so the
// connection is made on Node's own TCP handle, which net.Socket wraps. A
// Node without those bindings, a host name, or --pending-deprecation (under
// which process.binding warns) gets net.
function openConn(host, port, onData, onLost) {
  const b = tcpBinding();
  if (b && isIPLiteral(host)) return new RawConn(b, host, port, onData, onLost);
  const sock = require('net').connect({ host, port, noDelay: true });
  sock.on('data', onData);
  sock.on('error', onLost);
  sock.on('close', () => onLost(null));
  return sock;
}

function isIPLiteral(host) {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));
}

let tcp; // the bindings, null when unusable, undefined before the first look
function tcpBinding() {
  if (tcp !== undefined) return tcp;
  tcp = null;
  const opts = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS || ''}`;
  if (opts.includes('pending-deprecation') || typeof process.binding !== 'function') return tcp;
  try {
    const tw = process.binding('tcp_wrap');
    const sw = process.binding('stream_wrap');
    if (typeof tw.TCP === 'function' && typeof tw.TCPConnectWrap === 'function' && tw.constants &&
        typeof sw.WriteWrap === 'function' && sw.streamBaseState &&
        typeof sw.kReadBytesOrError === 'number' && typeof sw.kArrayBufferOffset === 'number' &&
        typeof tw.TCP.prototype.readStart === 'function' && typeof tw.TCP.prototype.writeBuffer === 'function') {
      tcp = { tw, sw };
    }
  } catch (_) {
    tcp = null;
  }
  return tcp;
}

const UV_EOF = -4095;

function uvError(code, what) {
  const name = code === UV_EOF ? 'EOF' : util.getSystemErrorName(code);
  const e = new Error(`${what} ${name}`);
  e.code = name;
  return e;
}

// RawConn is a TCP connection on the handle net.Socket is built on: a read
// is announced by onread, with its length in the binding's shared state.
// Writes made before the connection is up wait for it.
class RawConn {
  constructor(b, host, port, onData, onLost) {
    const h = new b.tw.TCP(b.tw.constants.SOCKET);
    this.b = b;
    this.h = h;
    this.onLost = onLost;
    this.closed = false;
    this.waiting = [];
    h.onread = (ab) => {
      const st = b.sw.streamBaseState;
      const n = st[b.sw.kReadBytesOrError];
      if (n > 0) onData(Buffer.from(ab, st[b.sw.kArrayBufferOffset], n));
      else if (n < 0) this.lose(n === UV_EOF ? null : uvError(n, 'read'));
    };
    const req = new b.tw.TCPConnectWrap();
    req.oncomplete = (status) => {
      if (this.closed) return;
      if (status < 0) return this.lose(uvError(status, `connect ${host}:${port}`));
      h.setNoDelay(true);
      const err = h.readStart();
      if (err) return this.lose(uvError(err, 'read'));
      const waiting = this.waiting;
      this.waiting = null;
      for (const buf of waiting) this.write(buf);
    };
    const err = host.includes(':') ? h.connect6(req, host, port) : h.connect(req, host, port);
    if (err) process.nextTick(() => this.lose(uvError(err, `connect ${host}:${port}`)));
  }

  write(buf) {
    if (this.closed) return;
    if (this.waiting) {
      this.waiting.push(buf);
      return;
    }
    const req = new this.b.sw.WriteWrap();
    req.handle = this.h;
    req.buffer = buf; // kept alive until written
    req.oncomplete = (status) => {
      if (status < 0) this.lose(uvError(status, 'write'));
    };
    const err = this.h.writeBuffer(req, buf);
    if (err) this.lose(uvError(err, 'write'));
  }

  lose(err) {
    if (this.closed) return;
    this.destroy();
    this.onLost(err);
  }

  destroy() {
    if (this.closed) return;
    this.closed = true;
    this.h.close();
  }

  ref() {
    if (!this.closed) this.h.ref();
  }

  unref() {
    if (!this.closed) this.h.unref();
  }
}

// ResponseReader collects one response; add returns it once complete. The
// body is joined once, at the end, however many reads it took.
class ResponseReader {
  constructor() {
    this.chunks = [];
    this.len = 0;
    this.head = null;
  }

  add(chunk) {
    this.chunks.push(chunk);
    this.len += chunk.length;
    if (!this.head) {
      const buf = Buffer.concat(this.chunks, this.len);
      this.chunks = [buf];
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return null;
      this.head = parseHead(buf.toString('latin1', 0, end));
      this.start = end + 4;
      const cl = this.head.headers['content-length'];
      const chunked = (this.head.headers['transfer-encoding'] || '').toLowerCase() === 'chunked';
      this.need = cl !== undefined ? this.start + parseInt(cl, 10) : chunked ? -1 : this.start;
    }
    if (this.need >= 0 && this.len < this.need) return null;
    // A chunked body ends with an empty line; nothing follows it.
    if (this.need < 0 && !endsWithBlankLine(this.chunks)) return null;
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.len);
    let body;
    if (this.need >= 0) body = buf.toString('utf8', this.start, this.need);
    else if ((body = dechunk(buf, this.start)) === null) return null;
    return { statusCode: this.head.statusCode, headers: this.head.headers, body };
  }
}

function parseHead(text) {
  const lines = text.split('\r\n');
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0) headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  return { statusCode: parseInt(lines[0].split(' ')[1], 10), headers };
}

function endsWithBlankLine(chunks) {
  let tail = '';
  for (let i = chunks.length - 1; i >= 0 && tail.length < 4; i--) tail = chunks[i].toString('latin1', Math.max(0, chunks[i].length - 4)) + tail;
  return tail.endsWith('\r\n\r\n');
}

// dechunk decodes a chunked body from off, or returns null while incomplete.
function dechunk(buf, off) {
  const parts = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', off);
    if (eol < 0) return null;
    const size = parseInt(buf.toString('latin1', off, eol).split(';')[0], 16);
    off = eol + 2;
    if (size === 0) {
      const tail = buf.indexOf('\r\n\r\n', off - 2);
      if (tail < 0) return null;
      return Buffer.concat(parts).toString('utf8');
    }
    if (buf.length < off + size + 2) return null;
    parts.push(buf.subarray(off, off + size));
    off += size + 2;
  }
}

let api = new RuntimeAPI(apiHost, apiPort);

function request(method, urlPath, body, headers, done) {
  api.request(method, urlPath, body, headers, done);
}

function fatal(what, err) {
  process.stderr.write(`hearth: runtime API ${what} failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}

function post(urlPath, body, errorType, done) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  request('POST', API_PREFIX + urlPath, body, headers, (err, res, text) => {
    if (err) return fatal(urlPath, err);
    if (res.statusCode >= 300) process.stderr.write(`hearth: ${urlPath} answered ${res.statusCode}: ${text}\n`);
    done();
  });
}

// ---- errors -------------------------------------------------------------------------

class RuntimeError extends Error {}
// runtimeError builds one of Lambda's Runtime.* errors; a wrapped cause lends
// its stack frames, so the trace points at the user's code.
function runtimeError(kind, message, cause) {
  const e = new RuntimeError(message);
  Object.defineProperty(e, 'name', { value: `Runtime.${kind}` });
  const from = cause && typeof cause.stack === 'string' ? cause.stack : e.stack;
  const frames = from.split('\n').filter((l) => /^\s+at /.test(l));
  e.stack = [`${e.name}: ${message}`, ...frames].join('\n');
  return e;
}

function isErrorLike(e) {
  return e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string';
}

// toRapid shapes an error as Lambda's Node runtime posts it.
function toRapid(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: error.stack.split('\n') };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while ' +
        'retrieving one or more of its message, name, and stack',
    };
  }
}

function formatted(error) {
  const e = error instanceof Error ? error : new Error(error);
  try {
    return '\t' + JSON.stringify(e, (_k, v) => {
      if (!(v instanceof Error)) return v;
      const out = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
      if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
      return out;
    });
  } catch (_) {
    return '\t' + JSON.stringify(toRapid(e));
  }
}

// ---- console: Lambda's text or JSON log format -------------------------------------

let requestId; // undefined during init, as on Lambda
function patchConsole() {
  const order = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
  const min = order[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || 1;
  const json = (process.env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
  const make = (level) => {
    if (order[level] < min) return () => {};
    if (json) {
      // LoggingConfig LogFormat JSON: one object per call, as Lambda's
      // Node.js runtime writes it.
      return (...args) => {
        const rec = { timestamp: new Date().toISOString(), level, requestId, message: util.format(...args) };
        if (args.length === 1 && args[0] instanceof Error) {
          const e = args[0];
          Object.assign(rec, { errorType: e.name, errorMessage: e.message,
            stackTrace: typeof e.stack === 'string' ? e.stack.split('\n') : [] });
        }
        process.stdout.write(JSON.stringify(rec) + '\n');
      };
    }
    return (...args) => {
      const line = `${new Date().toISOString()}\t${requestId}\t${level}\t${util.format(...args)}`;
      process.stdout.write(line.replace(/\n/g, '\r') + '\n');
    };
  };
  console.trace = make('TRACE');
  console.debug = make('DEBUG');
  console.info = make('INFO');
  console.log = console.info;
  console.warn = make('WARN');
  console.error = make('ERROR');
  console.fatal = make('FATAL');
}

// ---- the awslambda global ------------------------------------------------------------

// Response streaming lives in streaming.js, loaded at the first streamed
// response (or the first look at awslambda.HttpResponseStream): a function
// that never streams does not pay for it at its cold start.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

// installAwslambda defines the awslambda global of Lambda's Node.js runtime.
function installAwslambda() {
  const awslambda = global.awslambda || {};
  awslambda.streamifyResponse = (handler, options) => {
    handler[STREAMING] = 'response';
    if (options && typeof options.highWaterMark === 'number') handler[HIGH_WATER_MARK] = options.highWaterMark;
    return handler;
  };
  Object.defineProperty(awslambda, 'HttpResponseStream', {
    configurable: true,
    enumerable: true,
    get() {
      const value = require('./streaming.js').HttpResponseStream;
      Object.defineProperty(awslambda, 'HttpResponseStream', { value, configurable: true, enumerable: true, writable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(awslambda, 'HttpResponseStream', { value, configurable: true, enumerable: true, writable: true });
    },
  });
  global.awslambda = awslambda;
}

function isStreaming(handler) {
  return Boolean(handler) && handler[STREAMING] === 'response';
}

// ---- loading the handler ------------------------------------------------------------

function hasTypeModule(dir) {
  for (;;) {
    if (dir.endsWith('/node_modules')) return false;
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

async function importFile(file) {
  return import(require('url').pathToFileURL(file).href);
}

async function loadModule(appRoot, moduleRoot, name) {
  const base = path.resolve(appRoot, moduleRoot, name);
  if (fs.existsSync(base) && fs.statSync(base).isFile()) return require(base);
  const esm = hasTypeModule(path.dirname(base));
  if (fs.existsSync(base + '.js')) return esm ? importFile(base + '.js') : require(base + '.js');
  if (fs.existsSync(base + '.mjs')) return importFile(base + '.mjs');
  if (fs.existsSync(base + '.cjs')) return require(base + '.cjs');
  return require(require.resolve(name, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] }));
}

async function loadHandler(appRoot, full) {
  if (full.includes('..')) {
    throw runtimeError('MalformedHandlerName', `'${full}' is not a valid handler name. ` +
      'Use absolute paths when specifying root directories in handler names.');
  }
  const handlerString = path.basename(full);
  const moduleRoot = full.substring(0, full.indexOf(handlerString));
  const m = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!m) throw runtimeError('MalformedHandlerName', 'Bad handler');
  let mod;
  try {
    mod = await loadModule(appRoot, moduleRoot, m[1]);
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError('UserCodeSyntaxError', String(e), e);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw runtimeError('ImportModuleError', String(e), e);
    }
    throw e;
  }
  const fn = m[2].split('.').reduce((o, k) => o && o[k], mod);
  if (!fn) throw runtimeError('HandlerNotFound', `${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('HandlerNotFound', `${full} is not a function`);
  return fn;
}

// ---- the invoke loop ----------------------------------------------------------------

// onBeforeExit holds the one action to run when the event loop drains: the
// default result (null) or a callback's result that waits for an empty loop.
let onBeforeExit = null;
process.on('beforeExit', () => {
  const f = onBeforeExit;
  onBeforeExit = null;
  if (f) f();
});

// current holds the reporting hooks of the invocation in flight, so that an
// uncaught exception is reported against it (or as an init error before).
let current = null;

function serialize(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch (_) {
    throw new Error('Unable to stringify response body');
  }
}

function next(handler) {
  request('GET', API_PREFIX + '/invocation/next', undefined, undefined, (err, res, body) => {
    if (err) return fatal('/invocation/next', err);
    if (res.statusCode !== 200) return fatal('/invocation/next', `status ${res.statusCode}: ${body}`);
    invoke(handler, res.headers, body);
  });
}

function scheduleNext(handler) {
  current = null;
  setImmediate(() => next(handler));
}

function buildContext(headers, id, postResult, postError, settle) {
  const deadline = parseInt(headers['lambda-runtime-deadline-ms'], 10) || 0;
  const env = process.env;
  let waits = true;
  const ctx = {
    get callbackWaitsForEmptyEventLoop() { return waits; },
    set callbackWaitsForEmptyEventLoop(v) { waits = v; },
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: id,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  const cc = headers['lambda-runtime-client-context'];
  if (cc) ctx.clientContext = JSON.parse(cc);
  const ci = headers['lambda-runtime-cognito-identity'];
  if (ci) {
    const parsed = JSON.parse(ci);
    ctx.identity = { cognitoIdentityId: parsed.cognitoIdentityId, cognitoIdentityPoolId: parsed.cognitoIdentityPoolId };
  }
  if (headers['lambda-runtime-aws-tenant-id']) ctx.tenantId = headers['lambda-runtime-aws-tenant-id'];
  // Legacy completion methods report at once; the callback may wait for the loop to drain.
  const done = (err, result) => {
    onBeforeExit = null;
    if (err !== undefined && err !== null) postError(err);
    else postResult(result);
  };
  ctx.done = settle(done);
  ctx.succeed = settle((result) => done(null, result));
  ctx.fail = settle((err) => done(err === undefined || err === null ? 'handled' : err, null));
  const callback = settle((err, result) => {
    onBeforeExit = null;
    if (err !== undefined && err !== null) postError(err);
    else if (!waits) postResult(result);
    else onBeforeExit = () => setImmediate(() => postResult(result));
  });
  return [ctx, callback];
}

function invoke(handler, headers, body) {
  const id = headers['lambda-runtime-aws-request-id'];
  requestId = id;
  global[Symbol.for('aws.lambda.runtime.requestId')] = id;
  if (headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
  else delete process.env._X_AMZN_TRACE_ID;

  const base = `/invocation/${encodeURIComponent(id)}/`;
  let reported = false;
  const postError = (err, after, quiet) => {
    if (reported) return;
    reported = true;
    if (!quiet) console.error('Invoke Error', formatted(err));
    const rapid = toRapid(err);
    post(base + 'error', JSON.stringify(rapid), rapid.errorType, after || (() => scheduleNext(handler)));
  };
  const postResult = (result) => {
    if (reported) return;
    let text;
    try {
      text = serialize(result);
    } catch (e) {
      return postError(e);
    }
    reported = true;
    post(base + 'response', text, undefined, () => scheduleNext(handler));
  };
  let finished = false; // only the first completion call of any kind counts
  const settle = (f) => (...args) => {
    if (finished) return;
    finished = true;
    f(...args);
  };
  current = { postError };

  let event, ctx, callback;
  try {
    event = JSON.parse(body);
    [ctx, callback] = buildContext(headers, id, postResult, postError, settle);
  } catch (e) {
    return postError(e);
  }
  if (isStreaming(handler)) return invokeStreaming(handler, event, ctx, base);
  const isAsync = handler.constructor && handler.constructor.name === 'AsyncFunction';
  onBeforeExit = () => {
    finished = true;
    if (isAsync) {
      postError(runtimeError('NodeJsExit', 'The Lambda runtime client detected an unexpected Node.js exit code. ' +
        'This is most commonly caused by a Promise that was never settled. For more information, see ' +
        'https://nodejs.org/docs/latest/api/process.html#exit-codes'));
    } else {
      postResult(null);
    }
  };
  try {
    const result = handler(event, ctx, callback);
    if (result && typeof result.then === 'function') {
      result.then(ctx.succeed, ctx.fail).catch(ctx.fail);
    }
  } catch (err) {
    callback(err);
  }
}

// invokeStreaming runs a handler wrapped by awslambda.streamifyResponse:
// what it writes is streamed to the Runtime API; a rejected promise or a
// throw becomes an error in the trailers.
function invokeStreaming(handler, event, ctx, base) {
  let after = () => scheduleNext(handler);
  const target = { host: apiHost, port: apiPort, path: API_PREFIX + base + 'response' };
  const rs = require('./streaming.js').responseStream(target, handler, (err, status, text) => {
    if (err) return fatal(base + 'response', err);
    if (status >= 300) process.stderr.write(`hearth: ${base}response answered ${status}: ${text}\n`);
    after();
  });
  const fail = (err, then, quiet) => {
    if (then) after = then;
    if (!quiet) console.error('Invoke Error', formatted(err));
    rs.fail(toRapid(err));
  };
  current = { postError: fail };
  onBeforeExit = () => {
    if (!rs.writableEnded) rs.end();
  };
  try {
    const result = handler(event, rs, ctx);
    if (result && typeof result.then === 'function') {
      result.then(() => {
        if (!rs.writableEnded) rs.end();
      }, fail);
    }
  } catch (err) {
    fail(err);
  }
}

function reportFatal(kind, error, code) {
  console.error(kind, formatted(error));
  if (current) return current.postError(error, () => process.exit(code), true);
  const rapid = toRapid(error);
  post('/init/error', JSON.stringify(rapid), rapid.errorType, () => process.exit(code));
}

// awaitFunction waits for the function this interpreter will serve. Hearth
// starts interpreters ahead of cold starts, in a prepared sandbox, with this
// bootstrap loaded and no user code. Such a bootstrap connects to the
// Runtime API address and waits: at the cold start Hearth mounts the
// function's code at /var/task (and its layers at /opt), then sends its
// complete environment and working directory and closes the connection.
// From there on, everything runs as in an ordinary start.
function awaitFunction() {
  return new Promise((resolve) => {
    const chunks = [];
    openConn(apiHost, apiPort, (chunk) => chunks.push(chunk), (err) => {
      if (err) fatal('hand-off', err);
      if (chunks.length === 0) process.exit(0); // released unused
      const doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      // Only what differs is touched: setting TZ, even to its old value,
      // makes Node reload the time zone.
      const want = new Map();
      for (const kv of doc.env) {
        const i = kv.indexOf('=');
        want.set(kv.slice(0, i), kv.slice(i + 1));
      }
      for (const k of Object.keys(process.env)) if (!want.has(k)) delete process.env[k];
      for (const [k, v] of want) if (process.env[k] !== v) process.env[k] = v;
      process.chdir(doc.dir);
      readAPIAddress();
      api = new RuntimeAPI(apiHost, apiPort);
      resolve();
    });
  });
}

// warmUp runs, once and without I/O, the code every first invocation runs
// (reading an answer of the Runtime API, building a context, serializing a
// result), so that V8 has compiled it before the hand-off rather than
// during the function's first invocation. It changes no state.
function warmUp() {
  const reader = new ResponseReader();
  const res = reader.add(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n' +
    'Lambda-Runtime-Aws-Request-Id: warm-up\r\nLambda-Runtime-Deadline-Ms: 0\r\n\r\n{"a":[1,2]}', 'latin1'));
  const noop = () => {};
  buildContext(res.headers, 'warm-up', noop, noop, (f) => f);
  serialize(JSON.parse(res.body));
}

async function main() {
  if (process.env._HEARTH_PRESTART === '1') {
    warmUp();
    await awaitFunction();
  }
  patchConsole();
  installAwslambda();
  process.on('uncaughtException', (err) => reportFatal('Uncaught Exception', err, 129));
  process.on('unhandledRejection', (reason) => {
    const e = runtimeError('UnhandledPromiseRejection', String(reason));
    reportFatal('Unhandled Promise Rejection', e, 128);
  });
  const appRoot = process.env.LAMBDA_TASK_ROOT || '/var/task';
  let handler;
  try {
    handler = await loadHandler(appRoot, process.env._HANDLER || '');
  } catch (err) {
    console.error('Init Error', formatted(err));
    const rapid = toRapid(err);
    post('/init/error', JSON.stringify(rapid), rapid.errorType, () => process.exit(1));
    return;
  }
  next(handler);
}

main();
