// The hotel's own data in SQLite (data_dir/hotel.db): the catalogue (hotels, rooms, reviews),
// the staff roster and the bookings. Availability is computed per night from confirmed
// bookings, and a booking is checked and inserted in one BEGIN IMMEDIATE transaction, so
// concurrent requests (or processes) can never sell the same last unit twice.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"
#include "zta/store/sqlite.h"

namespace zta::hotel {

inline constexpr char kHotelDbFileName[] = "hotel.db";

struct HotelRecord {
  std::string id, name, city;
  int64_t stars = 0;
  std::string description;
};

struct RoomRecord {
  std::string id, hotel_id, name;
  int64_t capacity = 0;         // guests
  int64_t price_per_night = 0;  // whole units of `currency`
  std::string currency;
  int64_t units = 0;  // rooms of this type
};

struct ReviewRecord {
  std::string id, author;
  int64_t rating = 0;  // 1..5
  std::string text;
};

struct StaffRecord {
  std::string id, name, role;
};

struct BookingRecord {
  std::string id;     // "b-..."
  std::string guest;  // the token's sub, never a request field
  std::string hotel_id, room_id, check_in, check_out;  // dates YYYY-MM-DD; check_out exclusive
  int64_t guests = 0;
  int64_t total = 0;
  std::string currency;
  std::string status;                    // "confirmed" | "cancelled"
  std::vector<std::string> actor_chain;  // RFC 8693 §4.1, current actor first
  std::string grant_id;                  // the token's zta_grant claim
  std::string jti;                       // the token's id, never the token
  std::string trace_id;                  // W3C trace id of the request that booked
  std::optional<std::string> staff;      // assigned staff id; unset until assigned
  std::string created_at;                // ISO 8601 UTC
  std::string idempotency_key;           // the Idempotency-Key header; may be empty
  std::string body_digest;               // hex SHA-256 of the canonical request body

  // The API's and the CLI's JSON form (without the idempotency key and digest).
  Json ToJson() const;
};

// What CreateBooking decided.
enum class CreateOutcome {
  kCreated,            // a new row
  kReplayed,           // same guest, key and body: the earlier booking, no new row
  kIdempotencyClash,   // same guest and key, another body
  kSoldOut,            // some night of the stay has no free unit
  kGrantUsed,          // a booking under the same grant (zta_grant) exists: one approval, one booking
};

// Thread-safe: one connection behind a mutex; writes are BEGIN IMMEDIATE transactions, so other
// processes writing the same file are serialized by SQLite too.
class HotelStore {
 public:
  // Opens (creating unless `create` is false) data_dir/hotel.db and its schema.
  static Result<std::unique_ptr<HotelStore>> Open(const std::string& data_dir, bool create = true);

  // Seeds the catalogue, staff and other guests' bookings once (seed.h).
  Status Seed();

  Result<std::vector<HotelRecord>> ListHotels();
  Result<std::optional<HotelRecord>> FindHotel(const std::string& id);
  Result<std::vector<RoomRecord>> ListRooms(const std::string& hotel_id);
  Result<std::optional<RoomRecord>> FindRoom(const std::string& id);
  Result<std::vector<ReviewRecord>> ListReviews(const std::string& hotel_id);
  Result<std::vector<StaffRecord>> ListStaff();
  Result<std::optional<StaffRecord>> FindStaff(const std::string& id);

  // Free units of `room` on every night of [check_in, check_out): units minus the confirmed
  // bookings overlapping the busiest night.
  Result<int64_t> FreeUnits(const RoomRecord& room, const std::string& check_in,
                            const std::string& check_out);

  // Every booking (the operator's view, `zta hotel bookings`), oldest first.
  Result<std::vector<BookingRecord>> ListBookings();
  // The bookings of one guest.
  Result<std::vector<BookingRecord>> ListBookingsOf(const std::string& guest);
  Result<std::optional<BookingRecord>> FindBooking(const std::string& id);

  // Runs before a change commits, with the row as it will be; a failure rolls the change back
  // (the hotel appends its audit event here, so a change is never committed unaudited).
  using BeforeCommit = std::function<Status(const BookingRecord&)>;

  // In one transaction: the idempotency check (guest + key), the availability check and the
  // insert of `booking` (its id and created_at already set). `*stored` is the new row, or the
  // earlier one on kReplayed.
  Result<CreateOutcome> CreateBooking(const BookingRecord& booking, const RoomRecord& room,
                                      const BeforeCommit& before_commit, BookingRecord* stored);
  // Sets status "cancelled"; `*stored` is the row after the change. kNotFound when absent.
  Status CancelBooking(const std::string& id, const BeforeCommit& before_commit,
                       BookingRecord* stored);
  // Sets the staff member; kNotFound when the booking is absent.
  Status AssignStaff(const std::string& id, const std::string& staff_id,
                     const BeforeCommit& before_commit, BookingRecord* stored);

 private:
  explicit HotelStore(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  Result<std::vector<BookingRecord>> QueryBookings(const std::string& where,
                                                   const std::string& arg)
      ZTA_REQUIRES(mu_);
  Result<int64_t> FreeUnitsLocked(const RoomRecord& room, const std::string& check_in,
                                  const std::string& check_out) ZTA_REQUIRES(mu_);
  Status InsertBooking(const BookingRecord& b) ZTA_REQUIRES(mu_);
  Status UpdateBooking(const std::string& id, const std::string& set_sql,
                       const std::string& value, const BeforeCommit& before_commit,
                       BookingRecord* stored);

  Mutex mu_;
  std::unique_ptr<store::Database> db_ ZTA_GUARDED_BY(mu_);
};

}  // namespace zta::hotel
