import { fuzzOperationsAs } from "./operations-suite.js";

await fuzzOperationsAs("board");
