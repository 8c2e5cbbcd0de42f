/** The JSON `luo-abi preflight --format json` prints, as the tests read it. */
export interface JsonVerdict {
  key: string;
  title: string;
  outcome: string;
  handsOver: string;
  accepts?: string;
  reasons: string[];
  ignored: string[];
  lost?: string;
  differences: string[];
  fromVersion?: string;
  toVersion?: string;
}
