// GET /metrics in Prometheus' text format, while a command runs (--metrics-port, --metrics-host). Plain HTTP, no
// authentication: it listens on 127.0.0.1 unless told otherwise (0.0.0.0 in the Kubernetes manifests, where the
// pod's network is the boundary). It serves nothing else.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../errors.js';

export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  /** http://host:port/metrics, with the port actually bound (--metrics-port 0 takes a free one). */
  url: string;
  close(): Promise<void>;
}

/** Listens before the run sends anything: a port that cannot be had is a setting error (exit 2), nothing sent. */
export async function serveMetrics(source: MetricsSource, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    source.text().then((body) => {
      res.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
    });
  });
  // A scrape never holds the process open at the end of the run.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'not allowed (a port below 1024 needs privileges)'
      : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' ? 'no such address on this machine' : err.message;
    throw new InputError(`--metrics-host ${host} --metrics-port ${port}: cannot listen there (${err.code ?? 'error'}: ${why}); nothing was sent`);
  });
  server.unref();
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
