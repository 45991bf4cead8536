import { takeLastBytes, type AdapterResult, type ChildProcessResult } from "@staple/adapter-kit";

/** Bytes of each stream kept in `resultJson` (the engine redacts it before storing). */
export const RESULT_TAIL_BYTES = 4 * 1024;

/**
 * Maps how the child ended to the adapter result. The first matching rule wins:
 * spawn error -> cancelled (abort) -> timeout -> killed by a signal -> non-zero exit -> success.
 * Only success leaves `errorMessage` unset.
 */
export function toAdapterResult(run: ChildProcessResult, command: string, timeoutSec: number): AdapterResult {
  const base: AdapterResult = {
    exitCode: run.exitCode,
    signal: run.signal,
    timedOut: false,
    resultJson: {
      stdoutTail: takeLastBytes(run.stdoutTail, RESULT_TAIL_BYTES),
      stderrTail: takeLastBytes(run.stderrTail, RESULT_TAIL_BYTES),
    },
  };
  if (run.spawnError) return { ...base, ...spawnErrorFields(run.spawnError.code, run.spawnError.message, command) };
  if (run.aborted) return { ...base, errorCode: "cancelled", errorMessage: "Run cancelled" };
  if (run.timedOut) return { ...base, timedOut: true, errorCode: "timeout", errorMessage: `Timed out after ${timeoutSec}s` };
  // A script that fails is Paperclip's generic `adapter_failed` (clients key on it); the finer cause
  // stays in resultJson.errorDetailCode.
  if (run.signal !== null) {
    return { ...base, ...failed(base, "process_signaled"), errorMessage: `Process killed by signal ${run.signal}` };
  }
  if (run.exitCode !== 0) {
    return { ...base, ...failed(base, "process_exit_nonzero"), errorMessage: `Process exited with code ${run.exitCode}` };
  }
  return base;
}

function failed(base: AdapterResult, errorDetailCode: string): Pick<AdapterResult, "errorCode" | "resultJson"> {
  return { errorCode: "adapter_failed", resultJson: { ...base.resultJson, errorDetailCode } };
}

function spawnErrorFields(code: string, message: string, command: string): Pick<AdapterResult, "errorCode" | "errorMessage"> {
  const name = JSON.stringify(command);
  if (code === "ENOENT") {
    return {
      errorCode: "adapter_command_not_found",
      errorMessage: `Command ${name} not found. Fix: install it, add its directory to PATH, or set adapterConfig.command to its absolute path.`,
    };
  }
  if (code === "EACCES") {
    return {
      errorCode: "adapter_command_not_executable",
      errorMessage: `Command ${name} is not executable. Fix: make it executable (chmod +x) or point adapterConfig.command at an executable file.`,
    };
  }
  return { errorCode: "adapter_spawn_failed", errorMessage: `Could not start ${name}: ${message}` };
}
