// Runs one handler of the CDK Provider framework's real code (framework.js from a cdk.out) with
// its outbound calls replaced by recordings: the Lambda invoke answers with the given payload,
// Step Functions' StartExecution and the HTTPS PUT of the response are recorded, nothing leaves
// the process. Input (stdin, JSON): {dir, handler: "onEvent"|"isComplete"|"onTimeout", env,
// event, answer: {Payload, FunctionError}, startError: {name, message}}; with startError, Step
// Functions refuses to start the waiter (StartExecution throws it, as the SDK does once its
// retries are spent). Output (stdout, JSON): {invocations, executions, responses, thrown}. The
// framework's own log lines go to stderr.
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const record = { invocations: [], executions: [], responses: [], thrown: null };
const outbound = path.join(input.dir, "outbound.js");
const stub = new Module(outbound);
stub.filename = outbound;
stub.loaded = true;
stub.exports = {
  invokeFunction: async (request) => {
    record.invocations.push({ FunctionName: request.FunctionName, Payload: JSON.parse(request.Payload) });
    const answer = input.answer || {};
    return { Payload: Buffer.from(JSON.stringify(answer.Payload ?? null)), FunctionError: answer.FunctionError };
  },
  startExecution: async (request) => {
    record.executions.push(request);
    if (input.startError) {
      const error = new Error(input.startError.message);
      error.name = input.startError.name;
      throw error;
    }
    return {};
  },
  httpRequest: async (_options, body) => {
    record.responses.push(body);
  },
};
require.cache[outbound] = stub;
console.log = (...args) => process.stderr.write(args.join(" ") + "\n");
Object.assign(process.env, input.env || {});
const framework = require(path.join(input.dir, "framework.js"));
framework[input.handler](input.event).then(
  () => process.stdout.write(JSON.stringify(record)),
  (error) => {
    record.thrown = { name: error.constructor.name, message: error.message };
    process.stdout.write(JSON.stringify(record));
  },
);
