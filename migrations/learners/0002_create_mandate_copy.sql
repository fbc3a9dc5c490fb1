-- The OSR mandates as this subgraph knows them, kept from the institutions stream, to refuse a vendor
-- without a mandate for its service at the school it acts for (subgraphs/institutions/mandates.ts).
CREATE TABLE learners.mandate (
  id uuid PRIMARY KEY,
  brin6 text NOT NULL,
  service text NOT NULL,
  vendor_oin text NOT NULL,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX mandate_vendor_school ON learners.mandate (vendor_oin, brin6, service);
