import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { UnfinishedRequests } from './unfinished-requests';

const connection = () =>
  Object.assign(new EventEmitter(), { destroy: jest.fn() }) as unknown as Socket & {
    destroy: jest.Mock;
  };
const requestOn = (socket: Socket) => ({ socket }) as IncomingMessage;

describe('UnfinishedRequests', () => {
  it('ends the connections whose request is not being handled, and only those', () => {
    const tracker = new UnfinishedRequests();
    const [silent, busy] = [connection(), connection()];
    tracker.connected(silent);
    tracker.connected(busy);
    tracker.handlingStarted(requestOn(busy));
    tracker.endUnhandled();
    expect(silent.destroy).toHaveBeenCalled();
    expect(busy.destroy).not.toHaveBeenCalled();
  });

  it("keeps a keep-alive connection whose next request started before the last one's answer was done", () => {
    // Under load the client's next request on the connection may reach its handler before the
    // hook that sees the previous answer out runs: the connection is still handling one.
    const tracker = new UnfinishedRequests();
    const socket = connection();
    tracker.connected(socket);
    const [first, next] = [requestOn(socket), requestOn(socket)];
    tracker.handlingStarted(first);
    tracker.handlingStarted(next);
    tracker.handlingEnded(first);
    tracker.endUnhandled();
    expect(socket.destroy).not.toHaveBeenCalled();
    tracker.handlingEnded(next);
    tracker.endUnhandled();
    expect(socket.destroy).toHaveBeenCalled();
  });

  it('forgets a connection once it closed', () => {
    const tracker = new UnfinishedRequests();
    const socket = connection();
    tracker.connected(socket);
    tracker.handlingStarted(requestOn(socket));
    socket.emit('close');
    tracker.endUnhandled();
    expect(socket.destroy).not.toHaveBeenCalled();
  });
});
