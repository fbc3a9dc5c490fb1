export { isBsn, parseBsn } from './bsn.ts';
export { isOnderwijsnummer, parseOnderwijsnummer } from './onderwijsnummer.ts';
export { classifyPgn, parsePgn, pgnOrNull, type Pgn, type PgnKind } from './pgn.ts';
export { brin4Of, covers, isBrin4, isBrin6, parseBrin4, parseBrin6, parseSchool, schoolsCovering } from './brin.ts';
export {
  isBoardCode,
  isCompetentAuthorityNumber,
  isLocationCode,
  isOfferedProgrammeId,
  isProviderCode,
  parseBoardCode,
  parseCompetentAuthorityNumber,
  parseLocationCode,
  parseOfferedProgrammeId,
  parseProviderCode,
} from './rio.ts';
export { formatPostcode, isPostcode, parsePostcode } from './postcode.ts';
export { isMunicipalityCode, parseMunicipalityCode } from './municipality.ts';
export { isOin, parseOin } from './oin.ts';
export { isUuid, parseUuid } from './uuid.ts';
