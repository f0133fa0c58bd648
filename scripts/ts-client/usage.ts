// A TypeScript user's code against the client openapi-typescript generates from /openapi.json
// (written next to this file as openstrikes.d.ts by the test). `tsc --noEmit --strict` must
// pass, and every `@ts-expect-error` line must be an error: the types are real, not `any`.
import type { components, paths } from "./openstrikes";

type Event = components["schemas"]["Event"];
type ListQuery = NonNullable<paths["/v1/events"]["get"]["parameters"]["query"]>;
type EventPage = paths["/v1/events"]["get"]["responses"][200]["content"]["application/json"];
type FeatureCollection = paths["/v1/events"]["get"]["responses"][200]["content"]["application/geo+json"];
type OneEvent = paths["/v1/events/{event_id}"]["get"]["responses"][200]["content"]["application/json"];
type AggregateQuery = NonNullable<paths["/v1/aggregates"]["get"]["parameters"]["query"]>;
type Aggregates = paths["/v1/aggregates"]["get"]["responses"][200]["content"]["application/json"];
type Related = paths["/v1/events/{event_id}/related"]["get"]["responses"][200]["content"]["application/json"];
type ValidateBody = NonNullable<paths["/v1/validate"]["post"]["requestBody"]>["content"]["application/json"];
type ApiError = components["schemas"]["ApiError"];

export const nearAlBukamal: ListQuery = {
  near: "34.46,40.94",
  radius_km: 25,
  sort: "distance",
  geo_fallback: "admin",
  strike_type: "airstrike",
  page_size: 50,
};
// @ts-expect-error: not a sort key
export const badSort: ListQuery = { sort: "nearest" };
// @ts-expect-error: strike types are a closed list (it is "drone_strike")
export const badType: ListQuery = { strike_type: "drone" };

export function toSearch(q: ListQuery | AggregateQuery): string {
  return new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString();
}

export async function listEvents(base: string, q: ListQuery): Promise<EventPage> {
  const resp = await fetch(`${base}/v1/events?${toSearch(q)}`);
  if (!resp.ok) {
    const err = (await resp.json()) as ApiError;
    throw new Error(`${err.error.code}: ${err.error.message}`);
  }
  return (await resp.json()) as EventPage;
}

export function killedText(e: Event): string {
  const k = e.casualties.killed;
  return k === null ? "unknown" : k.min === k.max ? `${k.min}` : `${k.min}-${k.max}`;
}

export function weapon(e: Event): string {
  switch (e.strike_type) {
    case "drone_strike":
      return "armed drone (e.g. MQ-9)";
    case "loitering_munition":
      return "one-way attack drone";
    default:
      return e.strike_type;
  }
}

export function pageSummary(page: EventPage): string[] {
  const km = page.distance_km ?? {};
  const left = page.without_coordinates ?? 0;
  return page.items.map((e) => `${e.id} ${e.date_start} ${km[e.id] ?? "?"} km (${left} without coordinates)`);
}

export function firstAttacker(e: OneEvent): string {
  return e.attackers[0].actor + " " + e.attackers[0].attribution;
}

export function points(fc: FeatureCollection): [number, number][] {
  return fc.features.flatMap((f) => (f.geometry === null ? [] : [[f.geometry.coordinates[0], f.geometry.coordinates[1]]]));
}

export const byCountryYear: AggregateQuery = { group_by: "country,year", fill: true };

export function unknownKilled(a: Aggregates): number {
  return a.items.reduce((n, row) => n + row.killed.unknown, 0);
}

export function chain(r: Related): string[] {
  return r.links.map((l) => `${l.id} ${l.direction} ${l.via} (${l.relation}, ${l.distance} steps)`);
}

export const draft: ValidateBody = { id: "OS-2024-xxxx-xxxx", summary: "a record to check" };

// @ts-expect-error: an event has no field "casualtys"
export const typo = (e: Event) => e.casualtys;
