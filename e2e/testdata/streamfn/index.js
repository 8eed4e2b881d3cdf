// A streaming handler: five chunks 100 ms apart, each stamped with the time
// it was written. Called through a function URL it sends an
// HttpResponseStream prelude first; with {"fail": true} it throws after the
// first chunk; with {"slow": true} it outlives a short timeout.
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  let out = responseStream;
  if (event.requestContext) {
    out = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'x-stream': 'yes' },
      cookies: ['s=1'],
    });
  }
  if (event.slow) {
    out.write('before the timeout\n');
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  for (let i = 0; i < 5; i++) {
    out.write(`chunk ${i} at ${Date.now()}\n`);
    if (event.fail) throw new Error('stream went wrong');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  out.end();
});
