/**
 * Runs the simulated clients: shoppers, admins and merchants, each a loop of
 * actions with think time, all through one keep-alive HTTP client whose
 * target the demo switches (legacy APIs directly, then the facade).
 */
import { DEMO_ADMIN, DEMO_MERCHANT, DEMO_USER, merchantEmail, userEmail } from '../../seed/demo.ts';
import { hash32, Rng } from '../../seed/prng.ts';
import { HttpClient, type Target } from './client.ts';
import { clientCounts, thinkTimeMs, type ClientCounts } from './mix.ts';
import type { SimulatedClient } from './persona.ts';
import { Admin } from './personas/admin.ts';
import { Merchant } from './personas/merchant.ts';
import { Shopper } from './personas/shopper.ts';
import { Recorder } from './recorder.ts';
import { discoverWorld, type World } from './world.ts';

export interface TrafficOptions {
  target: Target;
  /** Load level: 1 = 6 shoppers, 1 admin, 2 merchants. */
  level?: number;
  counts?: ClientCounts;
  seed?: number;
  thinkMs?: { min: number; max: number };
  runTag: string;
  /** First seeded user id used for shoppers (user 1 is the person trying the demo by hand). */
  firstUserId?: number;
}

export const DEFAULT_THINK_MS = { min: 5, max: 40 } as const;

export class TrafficGenerator {
  readonly recorder = new Recorder();
  readonly http: HttpClient;
  readonly clients: SimulatedClient[] = [];
  world: World | undefined;
  private readonly opts: TrafficOptions;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(opts: TrafficOptions) {
    this.opts = opts;
    this.http = new HttpClient(opts.target);
  }

  setTarget(t: Target): void {
    this.http.target = t;
  }

  /** Discovers the catalogue, creates and signs in every client (fails loudly when a sign-in fails). */
  async prepare(): Promise<void> {
    const counts = this.opts.counts ?? clientCounts(this.opts.level ?? 1);
    const seed = this.opts.seed ?? 7;
    const world = await discoverWorld(this.http, { runTag: this.opts.runTag, merchants: counts.merchants });
    this.world = world;
    const rng = (i: number) => new Rng(hash32(seed, i));
    const firstUser = this.opts.firstUserId ?? 2;
    for (let i = 0; i < counts.shoppers; i++) {
      this.clients.push(new Shopper(`shopper${i + 1}`, { email: userEmail(firstUser + i), password: DEMO_USER.password }, world, this.http, this.recorder, rng(100 + i)));
    }
    for (let i = 0; i < counts.admins; i++) {
      this.clients.push(new Admin(`admin${i + 1}`, { email: DEMO_ADMIN.email, password: DEMO_ADMIN.password }, world, this.http, this.recorder, rng(200 + i)));
    }
    world.merchantShopIds.slice(0, counts.merchants).forEach((shopId, i) => {
      this.clients.push(new Merchant(`merchant${i + 1}`, { email: merchantEmail(shopId), password: DEMO_MERCHANT.password }, shopId, world, this.http, this.recorder, rng(300 + i)));
    });
    for (const c of this.clients) {
      if (!(await c.login())) throw new Error(`traffic: ${c.name} could not sign in`);
      if (c instanceof Shopper) await c.syncLikes();
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const think = this.opts.thinkMs ?? DEFAULT_THINK_MS;
    this.loops = this.clients.map(async (c, i) => {
      const pacer = new Rng(hash32(this.opts.seed ?? 7, 900 + i));
      while (this.running) {
        await c.step();
        const ms = thinkTimeMs(pacer.next(), think.min, think.max);
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      }
    });
  }

  /** Stops the loops after their current request. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  async close(): Promise<void> {
    await this.stop();
    await this.http.close();
  }
}
