/**
 * Properties Mixpanel sets on events by itself (client SDK defaults, reserved and UTM
 * properties). They are valid on every event even when a tracking plan does not list them, so
 * the analyser accepts them and completion offers them after the event's own properties.
 */
import type { PropertySchema } from './analyticsTypes';

function property(name: string, type: PropertySchema['type'], description: string): PropertySchema {
  return { name, type, description };
}

/** Mixpanel's default and reserved event properties, by name. */
export const MIXPANEL_DEFAULT_EVENT_PROPERTIES: Readonly<Record<string, PropertySchema>> = Object.fromEntries(
  [
    property('time', 'datetime', 'When the event happened (Unix time in seconds at ingestion).'),
    property('distinct_id', 'string', 'The id of the user who sent the event.'),
    property('$insert_id', 'string', 'A unique id per event; Mixpanel deduplicates on it.'),
    property('$user_id', 'string', 'The identified user id (simplified ID merge).'),
    property('$device_id', 'string', 'The anonymous device id (simplified ID merge).'),
    property('$browser', 'string', 'Browser name, e.g. Chrome.'),
    property('$browser_version', 'number', 'Browser version.'),
    property('$os', 'string', 'Operating system, e.g. Windows, iOS.'),
    property('$city', 'string', 'City, from the IP address at ingestion.'),
    property('$region', 'string', 'Region or state, from the IP address at ingestion.'),
    property('mp_country_code', 'string', 'Two-letter country code, from the IP address at ingestion.'),
    property('$device', 'string', 'Device model, e.g. iPhone.'),
    property('$model', 'string', 'Device model identifier (mobile SDKs).'),
    property('$manufacturer', 'string', 'Device manufacturer (mobile SDKs).'),
    property('$screen_height', 'number', 'Screen height in pixels.'),
    property('$screen_width', 'number', 'Screen width in pixels.'),
    property('$current_url', 'string', 'The page URL when the event was sent (web).'),
    property('$referrer', 'string', 'The referring URL (web).'),
    property('$referring_domain', 'string', 'The referring domain (web).'),
    property('$initial_referrer', 'string', 'The first referrer of the user (web).'),
    property('$initial_referring_domain', 'string', 'The first referring domain of the user (web).'),
    property('$search_engine', 'string', 'Search engine of the referrer (web).'),
    property('$app_version_string', 'string', 'App version (mobile SDKs).'),
    property('$app_build_number', 'string', 'App build number (mobile SDKs).'),
    property('$carrier', 'string', 'Mobile carrier (mobile SDKs).'),
    property('$wifi', 'boolean', 'Whether the device was on Wi-Fi (mobile SDKs).'),
    property('$lib_version', 'string', 'Version of the Mixpanel library that sent the event.'),
    property('mp_lib', 'string', 'The Mixpanel library that sent the event, e.g. web, iphone.'),
    property('mp_processing_time_ms', 'number', 'When Mixpanel processed the event (ms since epoch).'),
    property('$import', 'boolean', 'True for events sent through /import.'),
    property('utm_source', 'string', 'UTM source of the visit.'),
    property('utm_medium', 'string', 'UTM medium of the visit.'),
    property('utm_campaign', 'string', 'UTM campaign of the visit.'),
    property('utm_content', 'string', 'UTM content of the visit.'),
    property('utm_term', 'string', 'UTM term of the visit.'),
    property('utm_id', 'string', 'UTM campaign id of the visit.'),
    property('$duration', 'number', 'Seconds between time_event() and this event.'),
    property('$event_name', 'string', 'The event name (as a property, for expressions).'),
  ].map((p) => [p.name, p]),
);

/** Mixpanel's reserved profile (`user["…"]`) properties. */
export const MIXPANEL_DEFAULT_USER_PROPERTIES: Readonly<Record<string, PropertySchema>> = Object.fromEntries(
  [
    property('$email', 'string', "The user's email address."),
    property('$name', 'string', "The user's full name."),
    property('$first_name', 'string', "The user's first name."),
    property('$last_name', 'string', "The user's last name."),
    property('$phone', 'string', "The user's phone number."),
    property('$avatar', 'string', "URL of the user's avatar."),
    property('$created', 'datetime', 'When the profile was created.'),
    property('$last_seen', 'datetime', 'When the user was last seen.'),
    property('$city', 'string', 'City, from the last IP address.'),
    property('$region', 'string', 'Region, from the last IP address.'),
    property('$country_code', 'string', 'Two-letter country code, from the last IP address.'),
    property('$timezone', 'string', "The user's time zone."),
    property('$distinct_id', 'string', "The profile's distinct id."),
  ].map((p) => [p.name, p]),
);

/** Property names that are valid on any event, with `utm_*` accepted as a family. */
export function isMixpanelDefaultEventProperty(name: string): boolean {
  return Object.hasOwn(MIXPANEL_DEFAULT_EVENT_PROPERTIES, name) || name.startsWith('utm_');
}
