// Response streaming for Hearth's Node.js bootstrap, as Lambda's Node.js
// runtime provides it: awslambda.streamifyResponse (bootstrap.js) marks a
// handler that takes (event, responseStream, context); awslambda.HttpResponseStream.from
// writes the prelude (status, headers, cookies) of a function URL's
// streamed answer. The response goes to the Runtime API as one chunked
// POST .../response in streaming mode, opened at the first write; an error
// after the first byte is reported in the HTTP trailers.
'use strict';

// This file, http and stream are loaded at the first streamed response: a
// function that never streams does not pay for them at its cold start.
let agent = null;

const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const PRELUDE_TYPE = 'application/vnd.awslambda.http-integration-response';

class HttpResponseStream {
  static from(underlying, prelude) {
    underlying.setContentType(PRELUDE_TYPE);
    underlying.write(JSON.stringify(prelude || {}));
    underlying.write(new Uint8Array(8));
    return underlying;
  }
}

// responseStream returns the Writable a streaming handler writes to. done
// is called once, with an error or the Runtime API's status and answer.
function responseStream(target, handler, done) {
  let contentType = 'application/octet-stream';
  let req = null;
  let finished = false;
  const finish = (err, status, text) => {
    if (finished) return;
    finished = true;
    done(err, status, text);
  };
  const http = require('http');
  if (!agent) agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true });
  const open = () => {
    if (req) return req;
    req = http.request({
      host: target.host, port: target.port, agent, method: 'POST', path: target.path,
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        'Content-Type': contentType,
        Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => finish(null, res.statusCode, Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', (err) => finish(err));
    return req;
  };
  let failed = false;
  const { Writable } = require('stream');
  const stream = new Writable({
    highWaterMark: handler[HIGH_WATER_MARK],
    write(chunk, _enc, cb) {
      open().write(chunk, cb);
    },
    final(cb) {
      if (!failed) open().end();
      cb();
    },
  });
  stream.setContentType = (type) => {
    if (req) throw new Error('The content type cannot be set after the response stream was written to');
    contentType = type;
  };
  // fail ends the stream with an error in the trailers.
  stream.fail = (rapid) => {
    if (failed) return;
    failed = true;
    const r = open();
    r.addTrailers({
      'Lambda-Runtime-Function-Error-Type': rapid.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(rapid)).toString('base64'),
    });
    r.end();
  };
  return stream;
}

module.exports = { HttpResponseStream, responseStream };
