import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../test/harness.ts';
import { FaultProxy } from './proxy.ts';

/** An echo server: what the proxy forwards to. */
let echo: Server;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = createServer((socket) => socket.on('error', () => undefined).pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: (echo.address() as { port: number }).port });
});
afterAll(async () => {
  proxy?.close();
  await new Promise((resolve) => echo?.close(resolve));
});

async function open(): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect(proxy.port, proxy.host);
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  await once(socket, 'connect');
  return { socket, received: () => text };
}

/** How a connection ends: its error's code, or `closed`. */
const ending = (socket: Socket) =>
  new Promise<string>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
  });

describe('the fault proxy', () => {
  it('passes bytes both ways', async () => {
    const { socket, received } = await open();
    socket.write('hello');
    await eventually('the echo', () => received() === 'hello', { deadline: 5000 });
    socket.destroy();
  });

  it('holds bytes while stalled, on open and new connections, and lets them flow on when passing again', async () => {
    const before = await open();
    await proxy.stall();
    const during = await open();
    before.socket.write('one');
    during.socket.write('two');
    // Nothing comes back while stalled: the echo is asked again once the proxy passes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([before.received(), during.received()]).toEqual(['', '']);
    await proxy.pass();
    await eventually('the held bytes', () => before.received() === 'one' && during.received() === 'two', { deadline: 5000 });
    before.socket.destroy();
    during.socket.destroy();
  });

  it('refuses new connections while refusing, keeps open ones, and accepts again on the same port', async () => {
    const kept = await open();
    proxy.refuse();
    const refused = connect(proxy.port, proxy.host);
    expect(await ending(refused)).toBe('ECONNREFUSED');
    kept.socket.write('still');
    await eventually('the open connection', () => kept.received() === 'still', { deadline: 5000 });
    await proxy.pass();
    const again = await open();
    again.socket.write('back');
    await eventually('a new connection', () => again.received() === 'back', { deadline: 5000 });
    kept.socket.destroy();
    again.socket.destroy();
  });

  it('resets every open connection on drop', async () => {
    const { socket } = await open();
    const ended = ending(socket);
    proxy.drop();
    expect(await ended).toBe('ECONNRESET');
    expect(proxy.connections).toBe(0);
  });
});
