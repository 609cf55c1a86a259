// Notices that files were replaced and hands their new contents over, for material that rotates
// under a running process (certificates, trust bundles). Two triggers, because neither is
// enough alone: a directory watch reacts at once (a Kubernetes Secret volume swaps a ..data
// symlink, which a watch on the file itself would miss), and a periodic check catches what a
// watch cannot see (network filesystems, a watch that failed). A load that fails (a rotation
// caught half-written, a wrong key) keeps what is in use and is tried again on the next trigger.
import { watch, type FSWatcher } from "node:fs";
import path from "node:path";

export interface Reloadable {
  /** Identifies the contents: a load with the same digest changes nothing. */
  readonly digest: string;
}

export interface FileReloaderOptions<T extends Reloadable> {
  /** Files whose directories are watched. */
  files: readonly string[];
  load: () => Promise<T>;
  apply: (value: T) => void;
  intervalMs: number;
  onError: (error: unknown) => void;
}

const SETTLE_MS = 100;

export class FileReloader<T extends Reloadable> {
  private current: T;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Contents applied since start. */
  reloads = 0;

  constructor(
    initial: T,
    private readonly options: FileReloaderOptions<T>,
  ) {
    this.current = initial;
  }

  get value(): T {
    return this.current;
  }

  start(): void {
    for (const directory of new Set(this.options.files.map((file) => path.dirname(file)))) {
      try {
        const watcher = watch(directory, { persistent: false }, () => this.soon());
        watcher.on("error", (error) => this.options.onError(error));
        this.watchers.push(watcher);
      } catch (error) {
        // The periodic check still runs; a missing watch only delays a reload.
        this.options.onError(error);
      }
    }
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.settle);
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  /** Loads the files now and applies them if they changed; resolves when that is done. */
  check(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.checkOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.check();
      }
    });
    return this.running;
  }

  private soon(): void {
    // A rotation writes several entries in a row: react once, after they settle.
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.check(), SETTLE_MS);
    this.settle.unref();
  }

  private async checkOnce(): Promise<void> {
    let loaded: T;
    try {
      loaded = await this.options.load();
    } catch (error) {
      this.options.onError(error);
      return;
    }
    if (loaded.digest === this.current.digest) return;
    try {
      this.options.apply(loaded);
    } catch (error) {
      this.options.onError(error);
      return;
    }
    this.current = loaded;
    this.reloads += 1;
  }
}
