export const ROLES = ["admin", "customer", "support", "manager", "developer"] as const;

export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}

/** The demo directory. Id "456" is the user the design's curl examples ask for. */
const USERS: readonly User[] = [
  {
    id: "456",
    name: "Maria Fernandes",
    email: "maria.fernandes@example.com",
    role: "customer",
    createdAt: "2023-03-14T09:21:00.000Z",
  },
  {
    id: "401",
    name: "Jonas Becker",
    email: "jonas.becker@example.com",
    role: "admin",
    createdAt: "2021-01-05T08:00:00.000Z",
  },
  {
    id: "402",
    name: "Aiko Tanaka",
    email: "aiko.tanaka@example.com",
    role: "developer",
    createdAt: "2021-02-17T13:45:00.000Z",
  },
  {
    id: "403",
    name: "Liam O'Connor",
    email: "liam.oconnor@example.com",
    role: "support",
    createdAt: "2021-06-02T10:12:00.000Z",
  },
  {
    id: "404",
    name: "Priya Raman",
    email: "priya.raman@example.com",
    role: "manager",
    createdAt: "2021-09-23T15:30:00.000Z",
  },
  {
    id: "405",
    name: "Lucas Moreau",
    email: "lucas.moreau@example.com",
    role: "customer",
    createdAt: "2022-01-11T11:05:00.000Z",
  },
  {
    id: "406",
    name: "Sofia Rossi",
    email: "sofia.rossi@example.com",
    role: "customer",
    createdAt: "2022-02-28T17:40:00.000Z",
  },
  {
    id: "407",
    name: "Noah Williams",
    email: "noah.williams@example.com",
    role: "support",
    createdAt: "2022-04-09T07:55:00.000Z",
  },
  {
    id: "408",
    name: "Emma Johansson",
    email: "emma.johansson@example.com",
    role: "customer",
    createdAt: "2022-05-19T19:20:00.000Z",
  },
  {
    id: "409",
    name: "Mateo García",
    email: "mateo.garcia@example.com",
    role: "customer",
    createdAt: "2022-07-03T12:00:00.000Z",
  },
  {
    id: "410",
    name: "Chloé Dubois",
    email: "chloe.dubois@example.com",
    role: "developer",
    createdAt: "2022-08-14T09:35:00.000Z",
  },
  {
    id: "411",
    name: "Oliver Smith",
    email: "oliver.smith@example.com",
    role: "customer",
    createdAt: "2022-10-27T16:10:00.000Z",
  },
  {
    id: "412",
    name: "Fatima Al-Sayed",
    email: "fatima.alsayed@example.com",
    role: "support",
    createdAt: "2022-12-01T08:25:00.000Z",
  },
  {
    id: "413",
    name: "Wei Zhang",
    email: "wei.zhang@example.com",
    role: "customer",
    createdAt: "2023-01-16T14:50:00.000Z",
  },
  {
    id: "414",
    name: "Hannah Müller",
    email: "hannah.mueller@example.com",
    role: "manager",
    createdAt: "2023-02-08T10:40:00.000Z",
  },
  {
    id: "415",
    name: "Daniel Kowalski",
    email: "daniel.kowalski@example.com",
    role: "customer",
    createdAt: "2023-04-22T18:15:00.000Z",
  },
  {
    id: "416",
    name: "Isabella Costa",
    email: "isabella.costa@example.com",
    role: "customer",
    createdAt: "2023-06-30T06:45:00.000Z",
  },
  {
    id: "417",
    name: "Ethan Brown",
    email: "ethan.brown@example.com",
    role: "developer",
    createdAt: "2023-08-12T13:05:00.000Z",
  },
  {
    id: "418",
    name: "Amara Okafor",
    email: "amara.okafor@example.com",
    role: "customer",
    createdAt: "2023-10-05T20:30:00.000Z",
  },
  {
    id: "419",
    name: "Lars Nielsen",
    email: "lars.nielsen@example.com",
    role: "support",
    createdAt: "2024-01-09T09:00:00.000Z",
  },
  {
    id: "420",
    name: "Mariam Haddad",
    email: "mariam.haddad@example.com",
    role: "customer",
    createdAt: "2024-03-18T11:25:00.000Z",
  },
  {
    id: "421",
    name: "Kenji Watanabe",
    email: "kenji.watanabe@example.com",
    role: "customer",
    createdAt: "2024-05-27T15:55:00.000Z",
  },
  {
    id: "422",
    name: "Grace Thompson",
    email: "grace.thompson@example.com",
    role: "admin",
    createdAt: "2024-08-02T07:10:00.000Z",
  },
  {
    id: "423",
    name: "Marco Bianchi",
    email: "marco.bianchi@example.com",
    role: "customer",
    createdAt: "2024-11-14T17:35:00.000Z",
  },
];

export function findUser(id: string): User | undefined {
  return USERS.find((u) => u.id === id);
}

export interface UserQuery {
  query?: string;
  limit: number;
}

/** Case-insensitive substring match on the name or the email address. */
export function searchUsers({ query, limit }: UserQuery): User[] {
  const needle = query?.trim().toLowerCase();
  return USERS.filter(
    (u) => !needle || u.name.toLowerCase().includes(needle) || u.email.toLowerCase().includes(needle),
  ).slice(0, limit);
}
