/** NOTIFY channel whose payload is an agent id with newly queued work (any server may claim it). */
export const DISPATCH_CHANNEL = "staple_dispatch";
/** NOTIFY channel whose payload is a run id that was cancelled (its executing server aborts it). */
export const CANCEL_CHANNEL = "staple_run_cancel";
