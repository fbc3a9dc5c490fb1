import { eq } from 'drizzle-orm';
import type { Subgraph } from '../../kernel/subgraph.ts';
import { today } from '../../kernel/scalars.ts';
import { bundledSchoolFile, importSchoolFile } from './import.ts';
import { institutionLoaders, type InstitutionLoaders } from './loaders.ts';
import { demoMunicipalities, demoVendor, seedDemoMandates } from './osr.ts';
import { resolvers } from './resolvers.ts';
import { branch, vendor } from './tables.ts';

/** RIO for po: boards, providers, locations, branches and offered programmes (docs/domain.md §2.1). */
export const institutions: Subgraph<InstitutionLoaders> = {
  name: 'institutions',
  resolvers,
  loaders: institutionLoaders,
  async seed({ db }, log) {
    const [known] = await db.select({ brin6: branch.brin6 }).from(branch).limit(1);
    if (!known) {
      const result = await importSchoolFile(db, bundledSchoolFile, { referenceDate: today(), progress: log });
      log(`seeded ${result.rows} branches from the bundled DUO school file`);
    }
    // Also into a register seeded before OSR existed, so that the README's vendor token works there too.
    const [demo] = await db.select({ oin: vendor.oin }).from(vendor).where(eq(vendor.oin, demoVendor.oin));
    if (demo) return;
    const mandates = await db.transaction((tx) => seedDemoMandates(tx));
    log(
      `seeded demo vendor ${demoVendor.oin} (${demoVendor.name}) with ${mandates} mandates: every service at every school in municipalities ${demoMunicipalities.join(' and ')}`,
    );
  },
};
