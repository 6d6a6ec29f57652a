package org.margincall.engine.adapter.dynamodb;

import static org.margincall.engine.adapter.dynamodb.DynamoDbAccountItems.decimal;
import static org.margincall.engine.adapter.dynamodb.VenueStore.n;
import static org.margincall.engine.adapter.dynamodb.VenueStore.s;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.margincall.engine.domain.Account;
import org.margincall.engine.domain.PendingDeposit;
import org.margincall.engine.domain.Timestamps;
import org.margincall.engine.service.port.StoredAccount;
import org.margincall.engine.domain.MarginState;
import org.margincall.engine.domain.Position;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Account items to and from {@link StoredAccount}. */
final class AccountCodec {
    private AccountCodec() {
    }

    static StoredAccount decode(Map<String, AttributeValue> item) {
        String accountId = item.get("accountId").s();
        Map<String, BigDecimal> collateral = new LinkedHashMap<>();
        item.get("collateral").m().forEach((asset, v) -> collateral.put(asset, new BigDecimal(v.s())));
        List<Position> positions = new ArrayList<>();
        for (AttributeValue pv : item.get("positions").l()) {
            Map<String, AttributeValue> p = pv.m();
            positions.add(new Position(p.get("instrument").s(), decimal(p.get("size")), decimal(p.get("entryPrice")),
                    decimal(p.get("isolatedMargin"))));
        }
        List<PendingDeposit> pending = new ArrayList<>();
        AttributeValue pv = item.get("pendingDeposits");
        if (pv != null && pv.hasL()) {
            for (AttributeValue d : pv.l()) {
                Map<String, AttributeValue> m = d.m();
                pending.add(new PendingDeposit(m.get("asset").s(), decimal(m.get("amount")), m.get("reference").s(),
                        Timestamps.parse("pendingDeposits.expectedBy", m.get("expectedBy").s())));
            }
        }
        Account account = new Account(accountId, collateral, positions, decimal(item.get("warning")), pending);
        Map<String, MarginState> states = new HashMap<>();
        item.get("states").m().forEach((sub, v) -> states.put(sub, StateCodec.decode(v)));
        List<StoredAccount.OutboxEntry> outbox = new ArrayList<>();
        item.get("outbox").m().forEach((id, v) -> outbox.add(decodeOutbox(id, v.m())));
        outbox.sort(Comparator.comparingLong(StoredAccount.OutboxEntry::seq));
        List<StoredAccount.PendingEscalation> escalations = new ArrayList<>();
        item.get("escalations").m().forEach((callId, v) -> escalations.add(new StoredAccount.PendingEscalation(callId,
                v.m().get("executionName").s(), v.m().get("input").s())));
        AttributeValue last = item.get("lastEventSeq");
        java.util.Set<org.margincall.engine.service.port.BandIndex.Row> bands = null;
        AttributeValue bv = item.get("bands");
        if (bv != null && bv.hasL()) {
            bands = new java.util.LinkedHashSet<>();
            for (AttributeValue r : bv.l()) {
                bands.add(org.margincall.engine.service.port.BandIndex.Row.decode(r.s()));
            }
        }
        return new StoredAccount(item.get("venueId").s(), account, states, outbox, escalations,
                Long.parseLong(item.get("version").n()), last == null ? 0 : Long.parseLong(last.n()), bands);
    }

    static AttributeValue encodeOutbox(StoredAccount.OutboxEntry o) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("channel", s(o.channel().name()));
        m.put("seq", n(o.seq()));
        // bodies are gzip-compressed: a 256 KiB body of a large account shrinks about tenfold, so an
        // account item with its pending notices stays within DynamoDB's 400 KB item limit
        m.put("bodyZ", AttributeValue.fromB(software.amazon.awssdk.core.SdkBytes.fromByteArray(gzip(o.body()))));
        m.put("type", s(o.type()));
        m.put("level", s(o.level()));
        m.put("accountId", s(o.accountId()));
        m.put("claimedBy", s(o.claimedBy()));
        m.put("claimedAt", n(o.claimedAtMillis()));
        return AttributeValue.fromM(m);
    }

    private static byte[] gzip(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String body(Map<String, AttributeValue> m) {
        AttributeValue plain = m.get("body");
        if (plain != null) {
            return plain.s(); // written before bodies were compressed
        }
        try (java.util.zip.GZIPInputStream z = new java.util.zip.GZIPInputStream(m.get("bodyZ").b().asInputStream())) {
            return new String(z.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("stored outbox body is not gzip", e);
        }
    }

    private static StoredAccount.OutboxEntry decodeOutbox(String id, Map<String, AttributeValue> m) {
        return new StoredAccount.OutboxEntry(id, StoredAccount.Channel.valueOf(m.get("channel").s()),
                Long.parseLong(m.get("seq").n()), body(m), m.get("type").s(),
                m.get("level").s(), m.get("accountId").s(), m.get("claimedBy").s(), Long.parseLong(m.get("claimedAt").n()));
    }
}
