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

const http = require('http');
const fs = require('fs');
const path = require('path');
const util = require('util');
const streaming = require('./streaming.js');

const API_PREFIX = '/2018-06-01/runtime';
const [apiHost, apiPort] = (() => {
  const hp = process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
  const i = hp.lastIndexOf(':');
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), parseInt(hp.slice(i + 1), 10)];
})();
// One persistent connection: idle keep-alive sockets are unref'd by the agent,
// so they never keep the event loop (and so beforeExit) from firing.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true });

// ---- Runtime API client -------------------------------------------------------------

function request(method, urlPath, body, headers, done) {
  const opts = { host: apiHost, port: apiPort, method, path: urlPath, agent, headers: headers || {} };
  if (body !== undefined) opts.headers['Content-Length'] = Buffer.byteLength(body);
  const req = http.request(opts, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => done(null, res, Buffer.concat(chunks).toString('utf8')));
  });
  req.on('error', (err) => done(err));
  req.end(body);
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

// ---- console: Lambda's text log format --------------------------------------------

let requestId; // undefined during init, as on Lambda
function patchConsole() {
  const order = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
  const min = order[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || 1;
  const make = (level) => {
    if (order[level] < min) return () => {};
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
  if (streaming.isStreaming(handler)) return invokeStreaming(handler, event, ctx, base);
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
  const target = { host: apiHost, port: apiPort, agent, path: API_PREFIX + base + 'response' };
  const rs = streaming.responseStream(target, handler, (err, status, text) => {
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

async function main() {
  patchConsole();
  streaming.install();
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
