// hotel.db: schema, catalogue queries, per-night availability and the booking transactions.
#include "hotel/hotel_store.h"

#include <algorithm>
#include <map>

#include "hotel/seed.h"

namespace zta::hotel {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hotels (id TEXT PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL,
  stars INTEGER NOT NULL, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (id TEXT PRIMARY KEY, hotel_id TEXT NOT NULL REFERENCES hotels(id),
  name TEXT NOT NULL, capacity INTEGER NOT NULL, price_per_night INTEGER NOT NULL,
  currency TEXT NOT NULL, units INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (id TEXT PRIMARY KEY, hotel_id TEXT NOT NULL,
  author TEXT NOT NULL, rating INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS staff (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bookings (seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, guest TEXT NOT NULL, hotel_id TEXT NOT NULL, room_id TEXT NOT NULL,
  check_in TEXT NOT NULL, check_out TEXT NOT NULL, guests INTEGER NOT NULL,
  total INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
  actor_chain TEXT NOT NULL, grant_id TEXT NOT NULL, jti TEXT NOT NULL, trace_id TEXT NOT NULL,
  staff TEXT, created_at TEXT NOT NULL, idempotency_key TEXT, body_digest TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS bookings_idempotency ON bookings(guest, idempotency_key);
CREATE INDEX IF NOT EXISTS bookings_room ON bookings(room_id, check_in, check_out);
)sql";

constexpr char kBookingColumns[] =
    "id, guest, hotel_id, room_id, check_in, check_out, guests, total, currency, status, "
    "actor_chain, grant_id, jti, trace_id, staff, created_at, idempotency_key, body_digest";

std::string Text(const store::Statement& s, int column) { return std::string(s.ColumnText(column)); }

std::vector<std::string> ChainFromJson(std::string_view text) {
  auto parsed = ParseJsonStrict(text);
  std::vector<std::string> chain;
  if (!parsed.ok() || !parsed->is_array()) return chain;
  for (const auto& actor : *parsed) {
    if (actor.is_string()) chain.push_back(actor.get<std::string>());
  }
  return chain;
}

BookingRecord BookingFromRow(const store::Statement& s) {
  BookingRecord b;
  b.id = Text(s, 0);
  b.guest = Text(s, 1);
  b.hotel_id = Text(s, 2);
  b.room_id = Text(s, 3);
  b.check_in = Text(s, 4);
  b.check_out = Text(s, 5);
  b.guests = s.ColumnInt64(6);
  b.total = s.ColumnInt64(7);
  b.currency = Text(s, 8);
  b.status = Text(s, 9);
  b.actor_chain = ChainFromJson(s.ColumnText(10));
  b.grant_id = Text(s, 11);
  b.jti = Text(s, 12);
  b.trace_id = Text(s, 13);
  if (!s.ColumnIsNull(14)) b.staff = Text(s, 14);
  b.created_at = Text(s, 15);
  if (!s.ColumnIsNull(16)) b.idempotency_key = Text(s, 16);
  if (!s.ColumnIsNull(17)) b.body_digest = Text(s, 17);
  return b;
}

HotelRecord HotelFromRow(const store::Statement& s) {
  return {Text(s, 0), Text(s, 1), Text(s, 2), s.ColumnInt64(3), Text(s, 4)};
}

RoomRecord RoomFromRow(const store::Statement& s) {
  return {Text(s, 0), Text(s, 1), Text(s, 2), s.ColumnInt64(3), s.ColumnInt64(4), Text(s, 5),
          s.ColumnInt64(6)};
}

// Runs `sql` with text parameters and maps each row with `from_row`.
template <typename T, typename FromRow>
Result<std::vector<T>> QueryRows(store::Database& db, const std::string& sql,
                                 const std::vector<std::string>& args, FromRow from_row) {
  ZTA_ASSIGN_OR_RETURN(store::Statement s, db.Prepare(sql));
  for (size_t i = 0; i < args.size(); ++i) {
    ZTA_RETURN_IF_ERROR(s.BindText(static_cast<int>(i + 1), args[i]));
  }
  std::vector<T> rows;
  while (true) {
    ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.push_back(from_row(s));
  }
  return rows;
}

template <typename T>
std::optional<T> First(std::vector<T> rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace

Json BookingRecord::ToJson() const {
  return Json{{"id", id},
              {"guest", guest},
              {"hotel_id", hotel_id},
              {"room_id", room_id},
              {"check_in", check_in},
              {"check_out", check_out},
              {"guests", guests},
              {"total", total},
              {"currency", currency},
              {"status", status},
              {"actor_chain", actor_chain},
              {"grant_id", grant_id},
              {"jti", jti},
              {"trace_id", trace_id},
              {"staff", staff ? Json(*staff) : Json(nullptr)},
              {"created_at", created_at}};
}

Result<std::unique_ptr<HotelStore>> HotelStore::Open(const std::string& data_dir, bool create) {
  store::SqliteOptions options;
  options.create = create;
  auto db = store::Database::Open(data_dir + "/" + kHotelDbFileName, options);
  if (!db.ok()) return db.status().WithContext("opening " + std::string(kHotelDbFileName));
  ZTA_RETURN_IF_ERROR((*db)->Exec(kSchema));
  return std::unique_ptr<HotelStore>(new HotelStore(std::move(db).value()));
}

Status HotelStore::Seed() {
  MutexLock lock(mu_);
  return hotel::Seed(*db_);
}

Result<std::vector<HotelRecord>> HotelStore::ListHotels() {
  MutexLock lock(mu_);
  return QueryRows<HotelRecord>(
      *db_, "SELECT id, name, city, stars, description FROM hotels ORDER BY id", {}, HotelFromRow);
}

Result<std::optional<HotelRecord>> HotelStore::FindHotel(const std::string& id) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto rows, QueryRows<HotelRecord>(
                                      *db_,
                                      "SELECT id, name, city, stars, description FROM hotels "
                                      "WHERE id = ?1",
                                      {id}, HotelFromRow));
  return First(std::move(rows));
}

Result<std::vector<RoomRecord>> HotelStore::ListRooms(const std::string& hotel_id) {
  MutexLock lock(mu_);
  return QueryRows<RoomRecord>(*db_,
                               "SELECT id, hotel_id, name, capacity, price_per_night, currency, "
                               "units FROM rooms WHERE hotel_id = ?1 ORDER BY price_per_night, id",
                               {hotel_id}, RoomFromRow);
}

Result<std::optional<RoomRecord>> HotelStore::FindRoom(const std::string& id) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto rows,
                       QueryRows<RoomRecord>(*db_,
                                             "SELECT id, hotel_id, name, capacity, "
                                             "price_per_night, currency, units FROM rooms "
                                             "WHERE id = ?1",
                                             {id}, RoomFromRow));
  return First(std::move(rows));
}

Result<std::vector<ReviewRecord>> HotelStore::ListReviews(const std::string& hotel_id) {
  MutexLock lock(mu_);
  return QueryRows<ReviewRecord>(
      *db_, "SELECT id, author, rating, text FROM reviews WHERE hotel_id = ?1 ORDER BY id",
      {hotel_id}, [](const store::Statement& s) {
        return ReviewRecord{Text(s, 0), Text(s, 1), s.ColumnInt64(2), Text(s, 3)};
      });
}

Result<std::vector<StaffRecord>> HotelStore::ListStaff() {
  MutexLock lock(mu_);
  return QueryRows<StaffRecord>(*db_, "SELECT id, name, role FROM staff ORDER BY id", {},
                                [](const store::Statement& s) {
                                  return StaffRecord{Text(s, 0), Text(s, 1), Text(s, 2)};
                                });
}

Result<std::optional<StaffRecord>> HotelStore::FindStaff(const std::string& id) {
  ZTA_ASSIGN_OR_RETURN(auto staff, ListStaff());
  for (auto& member : staff) {
    if (member.id == id) return std::optional<StaffRecord>(std::move(member));
  }
  return std::optional<StaffRecord>();
}

Result<int64_t> HotelStore::FreeUnits(const RoomRecord& room, const std::string& check_in,
                                      const std::string& check_out) {
  MutexLock lock(mu_);
  return FreeUnitsLocked(room, check_in, check_out);
}

// ISO dates compare as strings, so "overlaps [in, out)" is two string comparisons; the busiest
// night is found by walking the (at most 30) nights of the stay.
Result<int64_t> HotelStore::FreeUnitsLocked(const RoomRecord& room, const std::string& check_in,
                                            const std::string& check_out) {
  struct Stay {
    std::string in, out;
  };
  ZTA_ASSIGN_OR_RETURN(auto stays, QueryRows<Stay>(*db_,
                                                   "SELECT check_in, check_out FROM bookings "
                                                   "WHERE room_id = ?1 AND status = 'confirmed' "
                                                   "AND check_in < ?3 AND check_out > ?2",
                                                   {room.id, check_in, check_out},
                                                   [](const store::Statement& s) {
                                                     return Stay{Text(s, 0), Text(s, 1)};
                                                   }));
  // Each stay counts on the nights from max(in, check_in) to min(out, check_out): count the
  // boundaries (+1 at a start, -1 at an end) and take the running maximum.
  std::map<std::string, int64_t> delta;
  for (const auto& stay : stays) {
    ++delta[std::max(stay.in, check_in)];
    --delta[std::min(stay.out, check_out)];
  }
  int64_t busy = 0, busiest = 0;
  for (const auto& [night, change] : delta) {
    busy += change;
    busiest = std::max(busiest, busy);
  }
  return std::max<int64_t>(0, room.units - busiest);
}

Result<std::vector<BookingRecord>> HotelStore::QueryBookings(const std::string& where,
                                                             const std::string& arg) {
  std::string sql = std::string("SELECT ") + kBookingColumns + " FROM bookings " + where +
                    " ORDER BY seq";
  std::vector<std::string> args;
  if (!arg.empty()) args.push_back(arg);
  return QueryRows<BookingRecord>(*db_, sql, args, BookingFromRow);
}

Result<std::vector<BookingRecord>> HotelStore::ListBookings() {
  MutexLock lock(mu_);
  return QueryBookings("", "");
}

Result<std::vector<BookingRecord>> HotelStore::ListBookingsOf(const std::string& guest) {
  MutexLock lock(mu_);
  return QueryBookings("WHERE guest = ?1", guest);
}

Result<std::optional<BookingRecord>> HotelStore::FindBooking(const std::string& id) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto rows, QueryBookings("WHERE id = ?1", id));
  return First(std::move(rows));
}

Status HotelStore::InsertBooking(const BookingRecord& b) {
  ZTA_ASSIGN_OR_RETURN(store::Statement s,
                       db_->Prepare(std::string("INSERT INTO bookings (") + kBookingColumns +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                    "?12, ?13, ?14, ?15, ?16, ?17, ?18)"));
  const std::string* texts[] = {&b.id, &b.guest, &b.hotel_id, &b.room_id, &b.check_in,
                                &b.check_out};
  for (int i = 0; i < 6; ++i) ZTA_RETURN_IF_ERROR(s.BindText(i + 1, *texts[i]));
  ZTA_RETURN_IF_ERROR(s.BindInt64(7, b.guests));
  ZTA_RETURN_IF_ERROR(s.BindInt64(8, b.total));
  ZTA_RETURN_IF_ERROR(s.BindText(9, b.currency));
  ZTA_RETURN_IF_ERROR(s.BindText(10, b.status));
  ZTA_RETURN_IF_ERROR(s.BindText(11, DumpJson(Json(b.actor_chain))));
  ZTA_RETURN_IF_ERROR(s.BindText(12, b.grant_id));
  ZTA_RETURN_IF_ERROR(s.BindText(13, b.jti));
  ZTA_RETURN_IF_ERROR(s.BindText(14, b.trace_id));
  ZTA_RETURN_IF_ERROR(b.staff ? s.BindText(15, *b.staff) : s.BindNull(15));
  ZTA_RETURN_IF_ERROR(s.BindText(16, b.created_at));
  // NULL keys never collide in the unique index: bookings without a key are independent.
  ZTA_RETURN_IF_ERROR(b.idempotency_key.empty() ? s.BindNull(17)
                                                : s.BindText(17, b.idempotency_key));
  ZTA_RETURN_IF_ERROR(b.body_digest.empty() ? s.BindNull(18) : s.BindText(18, b.body_digest));
  return s.Run();
}

Result<CreateOutcome> HotelStore::CreateBooking(const BookingRecord& booking,
                                                const RoomRecord& room,
                                                const BeforeCommit& before_commit,
                                                BookingRecord* stored) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);  // BEGIN IMMEDIATE: the check and the insert see one state
  ZTA_RETURN_IF_ERROR(tx.status());
  if (!booking.idempotency_key.empty()) {
    // Keys are per guest (one guest cannot replay or block another's key); a guest has few
    // bookings, so the key is compared here.
    ZTA_ASSIGN_OR_RETURN(auto earlier, QueryBookings("WHERE guest = ?1", booking.guest));
    for (auto& row : earlier) {
      if (row.idempotency_key != booking.idempotency_key) continue;
      if (row.body_digest != booking.body_digest) return CreateOutcome::kIdempotencyClash;
      *stored = std::move(row);
      return CreateOutcome::kReplayed;
    }
  }
  if (!booking.grant_id.empty()) {
    // One approval, one booking: the guest consented to THIS booking, so a second booking under
    // the same grant (an exchanged copy of the token, a replay by an agent talked into "book it
    // again") is refused, whatever its body.
    ZTA_ASSIGN_OR_RETURN(auto same_grant, QueryBookings("WHERE grant_id = ?1", booking.grant_id));
    if (!same_grant.empty()) return CreateOutcome::kGrantUsed;
  }
  ZTA_ASSIGN_OR_RETURN(int64_t free, FreeUnitsLocked(room, booking.check_in, booking.check_out));
  if (free <= 0) return CreateOutcome::kSoldOut;
  ZTA_RETURN_IF_ERROR(InsertBooking(booking));
  ZTA_RETURN_IF_ERROR(before_commit(booking));
  ZTA_RETURN_IF_ERROR(tx.Commit());
  *stored = booking;
  return CreateOutcome::kCreated;
}

Status HotelStore::UpdateBooking(const std::string& id, const std::string& set_sql,
                                 const std::string& value, const BeforeCommit& before_commit,
                                 BookingRecord* stored) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  ZTA_RETURN_IF_ERROR(tx.status());
  {
    ZTA_ASSIGN_OR_RETURN(store::Statement s,
                         db_->Prepare("UPDATE bookings SET " + set_sql + " WHERE id = ?2"));
    ZTA_RETURN_IF_ERROR(s.BindText(1, value));
    ZTA_RETURN_IF_ERROR(s.BindText(2, id));
    ZTA_RETURN_IF_ERROR(s.Run());
  }
  ZTA_ASSIGN_OR_RETURN(auto rows, QueryBookings("WHERE id = ?1", id));
  if (rows.empty()) return NotFound("no booking " + id);
  ZTA_RETURN_IF_ERROR(before_commit(rows.front()));
  ZTA_RETURN_IF_ERROR(tx.Commit());
  *stored = std::move(rows.front());
  return Status::Ok();
}

Status HotelStore::CancelBooking(const std::string& id, const BeforeCommit& before_commit,
                                 BookingRecord* stored) {
  return UpdateBooking(id, "status = ?1", "cancelled", before_commit, stored);
}

Status HotelStore::AssignStaff(const std::string& id, const std::string& staff_id,
                               const BeforeCommit& before_commit, BookingRecord* stored) {
  return UpdateBooking(id, "staff = ?1", staff_id, before_commit, stored);
}

}  // namespace zta::hotel
