-- The dashboard's reads by provider (docs/dashboard.md): a provider's data units and the
-- penalties it paid.
CREATE INDEX allocations_by_provider ON allocations (provider);
CREATE INDEX chain_penalties_by_provider ON chain_penalties (provider, epoch);
