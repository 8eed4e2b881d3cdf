const initAt = Date.now() * 1e6;
const stream = process.env.AWS_LAMBDA_LOG_STREAM_NAME;

exports.handler = async (event) => {
  if (event.sleepMs) {
    await new Promise((r) => setTimeout(r, event.sleepMs));
  }
  return { stream, initAt };
};
