-- School calendars (LPW art 21a: the 16 hours are counted in four consecutive teaching weeks; a week
-- of school holiday is none). Where a school is, kept from the institutions stream (RIO's branches
-- and locations, docs/architecture.md "Ownership"): its location's municipality and postcode place it
-- in a holiday region (data/schoolvakanties).
CREATE TABLE absence.branch (
  brin6 text PRIMARY KEY,
  location_code text NOT NULL
);

CREATE TABLE absence.location (
  code text PRIMARY KEY,
  municipality_code text,
  postcode text
);

-- A school's own holidays for a school year (setSchoolCalendar), which replace its region's
-- recommended holidays for that year; registering again replaces them.
CREATE TABLE absence.school_holiday (
  brin6 text NOT NULL,
  school_year text NOT NULL,
  start_date date NOT NULL,
  end_date date NOT NULL CHECK (end_date >= start_date),
  name text,
  registered_by text NOT NULL,
  registered_at timestamptz NOT NULL,
  PRIMARY KEY (brin6, school_year, start_date)
);
