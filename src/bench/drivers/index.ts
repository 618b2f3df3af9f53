import type { Driver, DriverContext, DriverName } from './driver.js';
import { createIoredisDriver } from './ioredis.js';
import { createRespDriver } from './resp.js';
import { createTenantCacheDriver } from './tenant-cache.js';

export { DRIVERS, type Driver, type DriverContext, type DriverName, type OnComplete, type TenantCredentials } from './driver.js';

export async function createDriver(name: DriverName, ctx: DriverContext): Promise<Driver> {
  switch (name) {
    case 'resp':
      return createRespDriver(ctx);
    case 'ioredis':
      return createIoredisDriver(ctx);
    case 'tenant-cache':
      return createTenantCacheDriver(ctx);
  }
}
