const initAt = Date.now();
let count = 0;

exports.handler = async (event, context) => {
  count++;
  const out = {
    stream: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    pid: process.pid,
    requestId: context.awsRequestId,
    arn: context.invokedFunctionArn,
    remaining: context.getRemainingTimeInMillis(),
    initAt,
    count,
    runtimeApi: process.env.AWS_LAMBDA_RUNTIME_API,
  };
  switch (event.action) {
    case 'error': {
      const e = new TypeError('node went wrong');
      throw e;
    }
    case 'log':
      console.log('hello from node');
      break;
    case 'sleep':
      await new Promise((r) => setTimeout(r, event.sleepMs || 0));
      break;
    case 'exit':
      process.exit(5);
      break;
    case 'echo':
      out.event = event;
      break;
  }
  return out;
};

exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { via: 'callback', value: event.value }), 1);
};
