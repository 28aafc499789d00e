/**
 * The load processes of the idle-at-scale scenario, seen from the orchestrator: spawned on the
 * load generator's core, asked one thing at a time over IPC, every request with a deadline so
 * that a stuck worker fails the round instead of hanging the bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerReply, WorkerRequest } from './loadgen/scale-worker.js';
import { BUILD_ROOT, CHILD_ENV, LOAD_CPU, type Launch, command } from './processes.js';

export class ScaleWorker {
  private readonly exited: Promise<void>;
  private exitReason: string | null = null;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitReason = `a load process exited (${code ?? signal})`;
        resolve();
      });
    });
  }

  static start(launch: Launch): ScaleWorker {
    const argv = command(LOAD_CPU, [join(BUILD_ROOT, 'scripts/bench/loadgen/scale-worker.js')], launch);
    return new ScaleWorker(spawn(argv[0]!, argv.slice(1), { env: CHILD_ENV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  request(message: WorkerRequest, timeoutMs: number): Promise<Extract<WorkerReply, { ok: true }>> {
    return new Promise((resolve, reject) => {
      if (this.exitReason !== null) return reject(new Error(this.exitReason));
      const done = (): void => {
        clearTimeout(timer);
        this.child.off('message', onReply);
        this.child.off('exit', onExit);
      };
      const onReply = (reply: WorkerReply): void => {
        done();
        if (reply.ok) resolve(reply);
        else reject(new Error(reply.error));
      };
      const onExit = (): void => {
        done();
        reject(new Error(this.exitReason ?? 'a load process exited'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`a load process did not answer "${message.type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.child.on('message', onReply);
      this.child.once('exit', onExit);
      this.child.send(message);
    });
  }

  /** Ends the process, which closes its sockets; waits until it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
