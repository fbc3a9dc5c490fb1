-- The Onderwijsserviceregister (OSR, domain.md §8): software vendors, and the mandates by which a
-- school lets a vendor exchange a service with the registers on its behalf. Kennisnet's OSR names a
-- school by its OIN; here by its BRIN6, as every viewer and enrollment does.
CREATE TABLE institutions.vendor (
  oin text PRIMARY KEY CHECK (oin ~ '^[0-9]{20}$'),
  name text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE institutions.mandate (
  id uuid PRIMARY KEY,
  brin6 text NOT NULL,
  service text NOT NULL CHECK (service IN ('ROD_PO', 'VERZUIM', 'RIO')),
  vendor_oin text NOT NULL REFERENCES institutions.vendor,
  start_date date NOT NULL,
  end_date date CHECK (end_date >= start_date),
  -- the board (or, for the demo seed, the operator) that granted it, and who ended it
  granted_by text NOT NULL,
  granted_at timestamptz NOT NULL,
  ended_by text,
  ended_at timestamptz
);
CREATE INDEX mandate_school ON institutions.mandate (brin6, service, vendor_oin);
CREATE INDEX mandate_vendor ON institutions.mandate (vendor_oin);

CREATE TABLE institutions.document (
  sender text NOT NULL,
  document_id text NOT NULL,
  mutation text NOT NULL,
  fingerprint text NOT NULL,
  result jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sender, document_id)
);
