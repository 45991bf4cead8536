/**
 * A spinner for long waits. Invariants: it writes only to stderr, only when stderr is a terminal
 * (so pipes, files and tests never see it), appears only after a wait has lasted SHOW_AFTER_MS, and
 * always erases its own line before anything else is printed (`clear()`).
 */
const FRAMES = ["|", "/", "-", "\\"];
const SHOW_AFTER_MS = 300;
const FRAME_MS = 100;

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private delay: NodeJS.Timeout | undefined;
  private label = "";
  private frame = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    readonly enabled: boolean = process.stderr.isTTY === true,
  ) {}

  /** Shows (after a short delay) or relabels the spinner. */
  start(label: string) {
    if (!this.enabled) return;
    this.label = label;
    if (this.timer || this.delay) return;
    this.delay = setTimeout(() => {
      this.delay = undefined;
      this.timer = setInterval(() => this.draw(), FRAME_MS);
      this.timer.unref();
      this.draw();
    }, SHOW_AFTER_MS);
    this.delay.unref();
  }

  /** Stops and erases the spinner; safe to call when it is not running. */
  clear() {
    if (this.delay) clearTimeout(this.delay);
    if (this.timer) clearInterval(this.timer);
    this.delay = this.timer = undefined;
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }

  /** Runs `work` with the spinner labelled `label`, erasing it afterwards. */
  async around<T>(label: string, work: Promise<T>): Promise<T> {
    this.start(label);
    try {
      return await work;
    } finally {
      this.clear();
    }
  }

  private draw() {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`\r\x1b[K${FRAMES[this.frame]} ${this.label}`);
    this.shown = true;
  }
}
